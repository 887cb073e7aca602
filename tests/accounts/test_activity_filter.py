"""`inactive_since` filters with NOT EXISTS per activity source; it must keep exactly the
people whose latest moment (`with_last_active`) is at or before the cutoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.activity import no_sign_in_after
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


def test_who_has_not_been_seen_since_the_cutoff_is_read_from_the_index(site, programme) -> None:
    """`no_sign_in_after` and the index `participant_seen_idx` are the same expression
    (accounts.activity.seen_at): if either changes alone, the database looks at every row of
    a caseload again, and only the dashboard's time says so."""
    people_at_every_moment(site, "b")
    query = User.objects.participants().filter(no_sign_in_after(timezone.now())).order_by()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A test database is small enough to read whole; the question is whether the
            # index can answer the condition at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
        # Looked up by the condition, not read whole for its participants.
        assert "participant_seen_idx" in plan
        assert "Index Cond: (GREATEST(" in plan
    else:
        assert "SEARCH accounts_user USING INDEX participant_seen_idx" in query.explain()
