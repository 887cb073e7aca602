"""Therapist time derived from page views: each view lasts until the same person's next one,
at most THERAPISTS_VISIT_CAP_MINUTES."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from accounts.models import User
from therapists.caseload import time_spent
from therapists.models import PageView

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _view_at(moment: datetime, staff: User, participant: User | None) -> None:
    with time_machine.travel(moment, tick=False):
        PageView.record(staff=staff, participant=participant, page="overview")


def test_a_view_lasts_until_the_next_view(therapist: User, participant: User) -> None:
    _view_at(START, therapist, participant)
    _view_at(START + timedelta(minutes=4), therapist, None)
    rows = time_spent(participant)
    assert [(row.staff, row.automatic) for row in rows] == [(therapist, 4)]


def test_a_view_counts_at_most_the_cap(therapist: User, participant: User, settings: Any) -> None:
    settings.THERAPISTS_VISIT_CAP_MINUTES = 10
    _view_at(START, therapist, participant)
    _view_at(START + timedelta(hours=3), therapist, None)
    assert time_spent(participant)[0].automatic == 10


def test_the_latest_view_counts_a_minute_until_another_one_follows(
    therapist: User, participant: User
) -> None:
    _view_at(START, therapist, participant)
    assert time_spent(participant)[0].automatic == 1


def test_views_of_different_staff_do_not_end_each_other(
    therapist: User, other_therapist: User, participant: User
) -> None:
    _view_at(START, therapist, participant)
    _view_at(START + timedelta(minutes=1), other_therapist, participant)
    _view_at(START + timedelta(minutes=6), therapist, None)
    by_staff = {row.staff: row.automatic for row in time_spent(participant)}
    assert by_staff == {therapist: 6, other_therapist: 1}


def test_time_is_summed_over_visits(therapist: User, participant: User) -> None:
    for minute in (0, 3, 5):
        _view_at(START + timedelta(minutes=minute), therapist, participant)
    _view_at(START + timedelta(minutes=8), therapist, None)
    assert time_spent(participant)[0].automatic == 8


def test_each_view_is_settled_once(therapist: User, participant: User) -> None:
    _view_at(START, therapist, participant)
    _view_at(START + timedelta(minutes=2), therapist, participant)
    _view_at(START + timedelta(minutes=9), therapist, participant)
    seconds = list(PageView.objects.order_by("viewed_at").values_list("seconds", "settled"))
    assert seconds == [(120, True), (420, True), (60, False)]
