from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, User
from tests.therapists.conftest import make_caseload, submit_homework
from therapists import triage
from therapists.access import caseload_of
from therapists.models import PageView, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def built_in_sources_only(monkeypatch: Any) -> Any:
    """Leave out the sources from assessments (overdue questionnaires would join the queue for
    everyone who joined weeks ago)."""
    built_in = {"homework", "message", "inactive"}
    monkeypatch.setattr(
        triage, "SOURCES", [source for source in triage.SOURCES if source.kind in built_in]
    )


# Measured. The page's own: one per built-in triage source (homework, unread messages,
# inactivity; the caseload is a subquery of each), the sources from assessments (risk
# flags 1, overdue questionnaires 3), the participants of the shown page (1), the access-log row
# (1), the page view (settle the open one, insert: 2). The rest is per request for any
# signed-in page: session, user, allauth's user-session tracking (5 with savepoints), the
# second-factor check (1, shared by the middleware and the decorator).
# 14, and 1 asking whether any open risk flag is routed to the therapist (none here; when some
# are, one more reads them: test_routed_flags_are_read_only_when_there_are_some).
DASHBOARD_QUERIES = 14 + 1


def test_homework_waiting_comes_first_with_its_waiting_time_and_a_link_to_review(
    client: Any,
    therapist: User,
    participant: User,
    homework: Any,
    site: Any,
    built_in_sources_only: Any,
) -> None:
    from tests.factories import make_participant

    chatty = make_participant(site, "chatty@test.example", therapist=therapist)
    Thread.between(participant=chatty, staff=therapist).post(sender=chatty, body="Hi there")
    sleepy = make_participant(site, "sleepy@test.example", therapist=therapist)
    User.objects.filter(pk=sleepy.pk).update(date_joined=timezone.now() - timedelta(days=20))

    client.force_login(therapist)
    response = client.get(reverse("therapists:dashboard"))

    rows = response.context["rows"]
    assert [row.item.kind for row in rows] == ["homework", "message", "inactive"]
    assert [row.participant for row in rows] == [participant, chatty, sleepy]
    html = response.content.decode()
    assert reverse("therapists:review", args=[participant.pk, homework.pk]) in html
    assert reverse("therapists:messages", args=[chatty.pk]) in html
    assert "Homework for module 1" in html and "1 unread message" in html
    assert "No activity for 20 days" in html


def test_the_oldest_homework_waits_at_the_top(
    client: Any, therapist: User, participant: User, programme: Any, site: Any
) -> None:
    from tests.factories import make_participant

    late = make_participant(site, "late@test.example", therapist=therapist)
    early_submission = submit_homework(late, programme[0])
    submit_homework(participant, programme[0])
    type(early_submission).objects.filter(pk=early_submission.pk).update(
        submitted_at=timezone.now() - timedelta(days=3)
    )
    items = triage.collect(therapist, now=timezone.now())
    assert [item.participant_id for item in items if item.kind == "homework"] == [
        late.pk,
        participant.pk,
    ]


def test_the_queue_holds_only_the_therapists_own_caseload(
    client: Any, therapist: User, other_participant: User, other_homework: Any
) -> None:
    client.force_login(therapist)
    response = client.get(reverse("therapists:dashboard"))
    assert response.context["total"] == 0
    assert other_participant.display_name not in response.content.decode()


def test_unread_messages_leave_the_queue_once_read(
    client: Any, therapist: User, participant: User, built_in_sources_only: Any
) -> None:
    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hi")
    client.force_login(therapist)
    assert [i.kind for i in triage.collect(therapist, now=timezone.now())] == ["message"]
    client.get(reverse("therapists:messages", args=[participant.pk]))
    assert triage.collect(therapist, now=timezone.now()) == []


def test_inactivity_follows_the_setting(therapist: User, participant: User, settings: Any) -> None:
    User.objects.filter(pk=participant.pk).update(date_joined=timezone.now() - timedelta(days=4))
    settings.PARTICIPANT_INACTIVE_DAYS = 7
    assert triage.collect(therapist, now=timezone.now()) == []
    settings.PARTICIPANT_INACTIVE_DAYS = 3
    assert [i.kind for i in triage.collect(therapist, now=timezone.now())] == ["inactive"]


def test_a_source_from_below_feeds_the_queue_with_plain_mappings(
    therapist: User, participant: User, monkeypatch: Any, built_in_sources_only: Any
) -> None:
    fake = triage.Source("risk", fake_risk_flag_keys, describe_fake_risk_flags)
    monkeypatch.setattr(triage, "SOURCES", [*triage.SOURCES, fake])
    items = triage.collect(therapist, now=timezone.now())
    assert items[0].kind == "risk" and items[0].participant_id == participant.pk
    assert items[0].reason == "Item 9 answered"


def test_an_open_risk_flag_from_assessments_comes_first_in_the_queue(
    therapist: User, participant: User, homework: Any
) -> None:
    from assessments.models import Questionnaire, RiskFlag
    from assessments.schedules import seed_default_schedule

    baseline = seed_default_schedule().time_points.get(key="baseline")
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=baseline)
    RiskFlag.objects.create(
        participant=participant,
        questionnaire=questionnaire,
        instrument="hads",
        scale="depression",
        value=17,
        level="refer",
    )
    items = triage.collect(therapist, now=timezone.now())
    assert items[0].kind == "risk" and items[0].participant_id == participant.pk
    assert items[0].priority > triage.Priority.HOMEWORK
    assert "homework" in [item.kind for item in items]


def fake_risk_flag_keys(*, therapist: User, caseload: Any, now: Any) -> list[tuple[Any, ...]]:
    return [
        (triage.Priority.RISK, now, pk, "item 9")
        for pk in caseload_of(therapist).values_list("pk", flat=True)
    ]


def describe_fake_risk_flags(keys: Any, *, now: Any) -> list[dict[str, Any]]:
    return [
        {
            "participant_id": key.participant_id,
            "kind": "risk",
            "priority": key.priority,
            "since": key.since,
            "reason": f"{key.ref.capitalize()} answered",
            "action_url": "/",
            "action_label": "Open",
        }
        for key in keys
    ]


def test_opening_the_dashboard_is_logged_once_not_per_participant(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    client.force_login(therapist)
    client.get(reverse("therapists:dashboard"))
    assert (
        AccessLog.objects.filter(actor=therapist, action="triage queue", subject=None).count() == 1
    )
    assert PageView.objects.filter(staff=therapist, participant=None, page="dashboard").exists()


def test_an_empty_queue_says_so(client: Any, therapist: User) -> None:
    client.force_login(therapist)
    assert "Nothing waits for you" in client.get(reverse("therapists:dashboard")).content.decode()


@pytest.mark.parametrize("size", [10, 1000])
def test_the_dashboard_costs_the_same_queries_for_10_and_1000_participants(
    client: Any, therapist: User, programme: Any, size: int, django_assert_num_queries: Any
) -> None:
    make_caseload(therapist, size, programme)
    client.force_login(therapist)
    url = reverse("therapists:dashboard")
    client.get(url)  # settles the session's first-request bookkeeping
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)
    assert response.context["total"] >= size  # everyone is in the queue for something
    assert len(response.context["rows"]) == min(response.context["total"], 25)
    assert response.context["rows"][0].item.kind == "homework"


def test_the_queue_pages(
    client: Any, therapist: User, programme: Any, built_in_sources_only: Any
) -> None:
    make_caseload(therapist, 30, programme)
    client.force_login(therapist)
    response = client.get(reverse("therapists:dashboard"), {"page": 2})
    assert len(response.context["rows"]) == 5


def test_only_the_items_of_the_page_shown_are_worded(
    client: Any, therapist: User, programme: Any, monkeypatch: Any, built_in_sources_only: Any
) -> None:
    """Every key of the queue is read and counted, and a source words only those of the page:
    on a caseload of a thousand, twenty-five items instead of several hundred."""
    make_caseload(therapist, 60, programme)
    worded: list[str] = []

    def counting(source: triage.Source) -> triage.Source:
        def describe(keys: Any, *, now: Any) -> Any:
            worded.extend(key.kind for key in keys)
            return source.describe(keys, now=now)

        return triage.Source(source.kind, source.keys, describe)

    monkeypatch.setattr(triage, "SOURCES", [counting(source) for source in triage.SOURCES])
    client.force_login(therapist)
    for page in (1, 2, 3):
        worded.clear()
        response = client.get(reverse("therapists:dashboard"), {"page": page})
        shown = [row.item.kind for row in response.context["rows"]]
        assert worded and sorted(worded) == sorted(shown)
        assert len(shown) == min(25, response.context["total"] - 25 * (page - 1))
    counts = response.context["counts"]
    assert response.context["total"] == sum(counts.values()) > 50
    assert counts["homework"] == counts["message"] == 6


def test_overdue_questionnaires_from_assessments_join_the_queue_below_messages(
    client: Any, therapist: User, participant: User
) -> None:
    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hi")
    User.objects.filter(pk=participant.pk).update(date_joined=timezone.now() - timedelta(days=20))
    kinds = [item.kind for item in triage.collect(therapist, now=timezone.now())]
    assert kinds == ["message", "questionnaire"]


def test_the_workspace_speaks_swedish_to_a_swedish_therapist(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    therapist.language = "sv"
    therapist.save(update_fields=["language"])
    client.force_login(therapist)
    html = client.get(reverse("therapists:dashboard")).content.decode()
    assert "<h1>Prioritering</h1>" in html and "Granska hemuppgift" in html


def test_the_inactive_are_exactly_those_inactive_since_the_cutoff_finds(
    therapist: User, programme: Any, site: Any
) -> None:
    """The source reads those without a sign-in since the cutoff and compares their last
    activity itself; it must keep the same people as UserQuerySet.inactive_since, including
    those who signed in long ago but worked in a module since, and those whose activity
    predates the day they joined."""
    from tests.helpers import people_at_every_moment

    now = timezone.now()
    cutoff = now - timedelta(days=7)
    index = people_at_every_moment(site, "i", therapist=therapist)
    caseload = caseload_of(therapist)
    expected = dict(caseload.inactive_since(cutoff).values_list("pk", "last_active_at"))
    (inactive,) = [source for source in triage.SOURCES if source.kind == "inactive"]
    items = inactive.items(therapist=therapist, caseload=triage.caseload_for(therapist), now=now)
    assert {item.participant_id: item.since for item in items} == expected
    assert 0 < len(expected) < index


def test_unread_messages_are_counted_per_participant_from_the_therapists_own_threads(
    therapist: User,
    other_therapist: User,
    participant: User,
    other_participant: User,
    built_in_sources_only: Any,
) -> None:
    """The source reads the threads and aggregates each one's unread messages; it must count
    what `from_participants` and `read_at` define, in the therapist's threads with their
    current caseload only."""
    from django.db.models import Count, Min

    from therapists.models import Message

    now = timezone.now()
    own = Thread.between(participant=participant, staff=therapist)
    for _ in range(3):
        own.post(sender=participant, body="unread")
    Message.objects.filter(thread=own).update(created_at=now - timedelta(days=3))
    read = own.post(sender=participant, body="read")
    Message.objects.filter(pk=read.pk).update(read_at=now)
    own.post(sender=therapist, body="the therapist's own, unread by the participant")
    # The same participant's thread with someone else, and another therapist's participant
    # writing to this therapist: neither is this queue's.
    Thread.between(participant=participant, staff=other_therapist).post(
        sender=participant, body="to another therapist"
    )
    Thread.between(participant=other_participant, staff=therapist).post(
        sender=other_participant, body="not in the caseload"
    )
    expected = {
        row["thread__participant_id"]: (row["count"], row["oldest"])
        for row in Message.objects.from_participants()
        .filter(read_at__isnull=True, thread__staff=therapist)
        .filter(thread__participant__in=caseload_of(therapist))
        .values("thread__participant_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    }
    assert expected == {participant.pk: (3, now - timedelta(days=3))}
    (messages,) = [source for source in triage.SOURCES if source.kind == "message"]
    keys = messages.read(therapist=therapist, caseload=triage.caseload_for(therapist), now=now)
    assert {key.participant_id: (key.ref, key.since) for key in keys} == expected
