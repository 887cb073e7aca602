"""`inactive_since` filters with NOT EXISTS per activity source; it must keep exactly the
people whose latest moment (`with_last_active`) is at or before the cutoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from modules.models import Step, StepVisit
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


def test_it_keeps_exactly_the_people_whose_latest_activity_is_before_the_cutoff(
    site, programme
) -> None:
    now = timezone.now()
    cutoff = now - timedelta(days=7)
    step = Step.objects.active().first()
    assert step is not None
    moments = [None, now - timedelta(days=30), now - timedelta(days=7), now - timedelta(days=1)]
    index = 0
    for joined in moments[1:]:
        for login in moments:
            for visit in moments:
                person = make_participant(site, f"a{index}@test.example")
                index += 1
                assert joined is not None
                User.objects.filter(pk=person.pk).update(
                    date_joined=joined, last_login=login, last_seen_at=login
                )
                if visit is not None:
                    StepVisit.objects.create(
                        participant=person, step=step, started_at=visit, last_active_at=visit
                    )
    people = User.objects.participants()
    expected = {
        pk
        for pk, last in people.with_last_active().values_list("pk", "last_active_at")
        if last <= cutoff
    }
    found = set(people.inactive_since(cutoff).values_list("pk", flat=True))
    assert found == expected
    assert 0 < len(found) < index
    assert all(row.last_active_at <= cutoff for row in people.inactive_since(cutoff))
