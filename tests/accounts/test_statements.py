"""accounts/statements.py: a queryset built and compiled once, run with each call's values.

What could go wrong is a value kept from the first run: these run one statement for several
people and moments and hold each run to the queryset built with that run's own values."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import CareAssignment, User
from accounts.statements import Param, forget, prepared
from modules.models import HomeworkSubmission
from tests.factories import make_participant, make_physio, make_therapist
from tests.therapists.conftest import make_programme, submit_homework
from therapists import triage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    forget()
    yield
    forget()


def test_one_statement_gives_each_call_the_rows_of_its_own_values(site) -> None:
    now = timezone.now()
    people = []
    for days in (1, 5, 9):
        person = make_participant(site, f"joined{days}@test.example")
        person.date_joined = now - timedelta(days=days)
        person.save()
        people.append(person)

    def joined_before(moment: Any) -> QuerySet[Any]:
        return (
            User.objects.filter(date_joined__lte=moment, is_participant=True)
            .order_by("pk")
            .values_list("pk", "date_joined")
        )

    builds: list[int] = []

    def build() -> QuerySet[Any]:
        builds.append(1)
        return joined_before(Param.moment("moment"))

    for days in (0, 3, 7, 30):
        moment = now - timedelta(days=days)
        statement = prepared("test.joined", build)
        found = statement.rows(moment=moment)
        assert found == list(joined_before(moment))
        # The ORM's converters ran: aware datetimes on SQLite's text as on PostgreSQL.
        assert all(joined.tzinfo is not None for _pk, joined in found)
    assert [pk for pk, _joined in prepared("test.joined", build).rows(moment=now)] == [
        person.pk for person in people
    ]
    assert builds == [1]  # built and compiled once for the five runs


def test_a_statement_refuses_a_value_missing_or_unknown(site) -> None:
    statement = prepared(
        "test.staff",
        lambda: CareAssignment.objects.filter(staff=Param.id("staff")).values_list("pk"),
    )
    with pytest.raises(TypeError):
        statement.rows()
    with pytest.raises(TypeError):
        statement.rows(staff=1, other=2)


def test_forget_builds_again(site) -> None:
    builds: list[int] = []

    def build() -> QuerySet[Any]:
        builds.append(1)
        return User.objects.filter(pk=Param.id("pk")).values_list("email")

    person = make_participant(site, "one@test.example")
    assert prepared("test.forget", build).rows(pk=person.pk) == [("one@test.example",)]
    forget()
    assert prepared("test.forget", build).rows(pk=person.pk) == [("one@test.example",)]
    assert builds == [1, 1]


def test_the_dashboard_statements_follow_the_therapist_not_the_first_one(site) -> None:
    """The queue's statements are built for whoever opens the dashboard first; each next
    therapist sees their own caseload, and nobody else's, through the same statements."""
    programme = make_programme()
    therapists = [make_therapist(site, f"t{index}@test.example") for index in range(3)]
    mine: dict[int, set[int]] = {}
    for index, therapist in enumerate(therapists):
        people = [
            make_participant(site, f"p{index}-{n}@test.example", therapist=therapist)
            for n in range(index + 1)
        ]
        for person in people:
            submit_homework(person, programme[0])
        mine[therapist.pk] = {person.pk for person in people}
    now = timezone.now()
    for therapist in therapists + therapists[::-1]:
        items = triage.collect(therapist, now=now)
        homework = {item.participant_id for item in items if item.kind == "homework"}
        assert homework == mine[therapist.pk]
        assert {item.participant_id for item in items} <= mine[therapist.pk]
    # Someone who is not a therapist has no queue, as caseload_of gives them no caseload.
    physio = make_physio(site, "physio@test.example")
    assert triage.collect(physio, now=now) == []
    assert HomeworkSubmission.objects.awaiting_review().count() == 6
