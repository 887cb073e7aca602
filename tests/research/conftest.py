"""Fixtures for the research tests: a study with two distinctively named arms, and members."""

from __future__ import annotations

import pytest

from accounts.models import Site, User
from research.models import Study, StudyParticipant
from tests.research.builders import make_study, ready_member


@pytest.fixture
def study(site: Site, admin_user: User) -> Study:
    return make_study(site, admin_user)


@pytest.fixture
def member(study: Study, participant: User, admin_user: User) -> StudyParticipant:
    return ready_member(study, participant, admin_user)


@pytest.fixture
def other_member(study: Study, other_participant: User, admin_user: User) -> StudyParticipant:
    return study.add_participant(other_participant, by=admin_user)
