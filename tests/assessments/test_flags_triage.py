"""What assessments gives the therapist's triage queue: open risk flags and overdue
questionnaires, for one caseload, in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import Questionnaire, RiskFlag
from assessments.schedules import seed_default_schedule
from tests.factories import make_participant
from therapists.access import caseload_of
from therapists.triage import TriageItem

pytestmark = pytest.mark.django_db


def caseload(therapist: User):
    from therapists.triage import caseload_for

    return caseload_for(therapist)


def items_of(kind: str, therapist: User, now: datetime) -> list[TriageItem]:
    """Every item of the queue's source of `kind`, worded, as the queue orders them."""
    from therapists.triage import SOURCES

    (source,) = [source for source in SOURCES if source.kind == kind]
    return source.items(therapist=therapist, caseload=caseload(therapist), now=now)


def risk_flags(therapist: User, now: datetime) -> list[TriageItem]:
    return items_of("risk", therapist, now)


def overdue_questionnaires(therapist: User, now: datetime) -> list[TriageItem]:
    return items_of("questionnaire", therapist, now)


def flag(participant: User, level: str, value: float) -> RiskFlag:
    baseline = seed_default_schedule().time_points.get(key="baseline")
    questionnaire, _ = Questionnaire.objects.get_or_create(
        participant=participant, time_point=baseline
    )
    return RiskFlag.objects.create(
        participant=participant,
        questionnaire=questionnaire,
        instrument="hads",
        scale="depression" if level == "refer" else "anxiety",
        value=value,
        level=level,
    )


def test_open_flags_of_the_caseload_become_risk_items(
    participant, other_participant, therapist
) -> None:
    flag(participant, "probable_case", 12)
    flag(participant, "refer", 17)
    flag(other_participant, "refer", 18)
    handled = flag(
        make_participant(participant.site, "x@test.example", therapist=therapist), "refer", 16
    )
    handled.resolve(by=therapist, note="Called the participant.")
    items = risk_flags(therapist, timezone.now())
    assert [item.participant_id for item in items] == [participant.pk, participant.pk]
    assert items[0].priority > items[1].priority >= 100
    assert items[0].kind == "risk" and "17" in items[0].reason
    assert items[0].action_url == reverse("assessments:staff-scores", args=[participant.pk])


def test_a_questionnaire_open_for_two_weeks_and_not_sent_is_overdue(participant, therapist) -> None:
    seed_default_schedule()
    now = timezone.now()
    assert overdue_questionnaires(therapist, now) == []
    participant.date_joined = now - timedelta(days=15)
    participant.save()
    items = overdue_questionnaires(therapist, now)
    assert len(items) == 1 and items[0].kind == "questionnaire"
    assert items[0].participant_id == participant.pk


def test_the_triage_sources_cost_the_same_queries_for_any_caseload(
    participant, therapist, site, django_assert_num_queries
):
    seed_default_schedule()
    flag(participant, "refer", 17)
    now = timezone.now()
    with django_assert_num_queries(1):
        risk_flags(therapist, now)
    # The time points and the people with a window open long enough (none here); their
    # questionnaires would be a third.
    with django_assert_num_queries(2):
        overdue_questionnaires(therapist, now)
    for index in range(10):
        person = make_participant(site, f"load{index}@test.example", therapist=therapist)
        flag(person, "probable_case", 12)
    with django_assert_num_queries(1):
        assert len(risk_flags(therapist, now)) == 11
    # The time points and the people with a window open long enough (none here); their
    # questionnaires would be a third.
    with django_assert_num_queries(2):
        overdue_questionnaires(therapist, now)


def _overdue_by_python(therapist: User, now) -> set[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """The rule as schedule_for states it, over the whole caseload."""
    from datetime import timedelta as days

    from assessments.schedules import Status, schedule_for

    people = list(caseload_of(therapist))
    return {
        (person_id, row.time_point.key)
        for person_id, rows in schedule_for(people).items()
        for row in rows
        if row.status in (Status.DUE, Status.IN_PROGRESS)
        and now.date() - row.opens_on >= days(days=14)
    }


def test_it_selects_in_the_database_exactly_the_overdue_questionnaires_the_schedule_gives(
    therapist, site, django_assert_num_queries
) -> None:
    schedule = seed_default_schedule()
    six_months = schedule.time_points.get(key="6m")
    baseline = schedule.time_points.get(key="baseline")
    now = timezone.now()
    ages = [0, 13, 14, 15, 29, 30, 31, 60, 181, 182, 183, 209, 210, 211, 400]
    for index, age in enumerate(ages):
        person = make_participant(site, f"age{index}@test.example", therapist=therapist)
        person.date_joined = now - timedelta(days=age, hours=index % 3 * 7)
        person.timezone = ["Europe/Stockholm", "Pacific/Auckland", "America/Los_Angeles"][index % 3]
        person.save()
        if index % 4 == 1:
            Questionnaire.objects.create(participant=person, time_point=baseline, submitted_at=now)
        if index % 4 == 2:
            Questionnaire.objects.create(participant=person, time_point=baseline)
        if age > 180 and index % 2:
            Questionnaire.objects.create(
                participant=person, time_point=six_months, submitted_at=now
            )
    expected = _overdue_by_python(therapist, now)
    with django_assert_num_queries(3):
        items = overdue_questionnaires(therapist, now)
    found = {(item.participant_id, item.reason) for item in items}
    assert len(found) == len(items) == len(expected) > 2
    assert {person_id for person_id, _key in expected} == {pid for pid, _reason in found}


def test_it_narrows_overdue_questionnaires_by_the_randomisation_date_when_that_is_the_start(
    therapist, site, settings
) -> None:
    from research.models import Study, StudyParticipant

    settings.ASSESSMENTS_START_DATE_PROVIDER = "research.models.start_from_randomisation"
    seed_default_schedule()
    now = timezone.now()
    study = Study.objects.create(name="Start")
    joined_long_ago = make_participant(site, "late@test.example", therapist=therapist)
    joined_long_ago.date_joined = now - timedelta(days=100)
    joined_long_ago.save()
    StudyParticipant.objects.create(
        study=study,
        participant=joined_long_ago,
        site=site,
        randomised_at=now - timedelta(days=16),
    )
    items = overdue_questionnaires(therapist, now)
    assert [item.participant_id for item in items] == [joined_long_ago.pk]
    assert _overdue_by_python(therapist, now) == {(joined_long_ago.pk, "baseline")}


def test_routed_flags_are_read_only_when_there_are_some(
    participant, other_participant, therapist, django_assert_num_queries
) -> None:
    """The dashboard's panel asks whether any open flag is routed to the therapist before it
    reads them through `for_staff`: one query when none is, two when some are, and only flags
    of participants the therapist may see are shown either way."""
    from assessments.flag_views import open_flags_for

    with django_assert_num_queries(1):
        assert open_flags_for(therapist) == []
    mine = flag(participant, "refer", 17)
    RiskFlag.objects.filter(pk=mine.pk).update(assigned_to=therapist)
    # Routed to the therapist, but about someone outside their caseload: not shown.
    stray = flag(other_participant, "refer", 18)
    RiskFlag.objects.filter(pk=stray.pk).update(assigned_to=therapist)
    with django_assert_num_queries(2):
        shown = open_flags_for(therapist)
    assert [item.flag.pk for item in shown] == [mine.pk]
    mine.resolve(by=therapist, note="Called the participant.")
    RiskFlag.objects.filter(pk=stray.pk).update(resolved_at=timezone.now())
    with django_assert_num_queries(1):
        assert open_flags_for(therapist) == []


def test_flags_raised_together_keep_the_order_they_were_raised_in(participant, therapist) -> None:
    """One submission can raise several flags of one level at one moment: they tie on all the
    queue sorts by, and the dashboard pages the sorted queue, so ties come in a fixed order."""
    baseline = seed_default_schedule().time_points.get(key="baseline")
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=baseline)
    raised = timezone.now()
    for scale, value in (("depression", 17), ("anxiety", 15)):
        RiskFlag.objects.create(
            participant=participant,
            questionnaire=questionnaire,
            instrument="hads",
            scale=scale,
            value=value,
            level="refer",
            raised_at=raised,
        )
    for _ in range(3):
        items = risk_flags(therapist, timezone.now())
        assert [item.reason.split(": ")[0].split()[-1] for item in items] == ["17", "15"]
