"""Fixtures of the programme tests (the programme itself is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from accounts.models import User
from modules.models import Enrolment, Module


@pytest.fixture
def enrolled(participant: User, programme: list[Module]) -> User:
    Enrolment.enrol(participant)
    return participant


@pytest.fixture
def other_enrolled(other_participant: User, programme: list[Module]) -> User:
    Enrolment.enrol(other_participant)
    return other_participant
