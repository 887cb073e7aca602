"""The real programme, read once per session from the content files and loaded per test."""

from __future__ import annotations

import pytest

from accounts.models import User
from modules.loader import ParsedModule, apply_programme, read_programme
from modules.models import Enrolment, Module


@pytest.fixture(scope="session")
def parsed_programme() -> dict[str, dict[int, ParsedModule]]:
    return read_programme()


@pytest.fixture
def programme(db: None, parsed_programme: dict[str, dict[int, ParsedModule]]) -> list[Module]:
    apply_programme(parsed_programme)
    return list(Module.objects.active())


@pytest.fixture
def enrolled(participant: User, programme: list[Module]) -> User:
    Enrolment.enrol(participant)
    return participant


@pytest.fixture
def other_enrolled(other_participant: User, programme: list[Module]) -> User:
    Enrolment.enrol(other_participant)
    return other_participant
