"""`inactive_since` filters with NOT EXISTS per activity source; it must keep exactly the
people whose latest moment (`with_last_active`) is at or before the cutoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from tests.helpers import people_at_every_moment

pytestmark = pytest.mark.django_db


def test_it_keeps_exactly_the_people_whose_latest_activity_is_before_the_cutoff(
    site, programme
) -> None:
    cutoff = timezone.now() - timedelta(days=7)
    index = people_at_every_moment(site, "a")
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
