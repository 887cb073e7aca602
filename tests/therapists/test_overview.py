from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, User
from modules.models import ModuleProgress, StepVisit
from therapists.models import ClinicalNote, PageView, Thread, TimeEntry

pytestmark = pytest.mark.django_db


def _url(participant: User) -> str:
    return reverse("therapists:overview", args=[participant.pk])


def test_it_shows_module_progress_with_dates_and_time_spent(
    client: Any, therapist: User, participant: User, homework: Any, programme: Any
) -> None:
    step = programme[0].steps.get(slug="read")
    start = timezone.now() - timedelta(hours=2)
    # Seven minutes, until the next visit.
    StepVisit.objects.create(participant=participant, step=step, started_at=start)
    # The latest visit counts until its last sign of life, never more than the cap.
    StepVisit.objects.create(
        participant=participant,
        step=step,
        started_at=start + timedelta(minutes=7),
        last_active_at=start + timedelta(hours=1),
    )
    client.force_login(therapist)
    response = client.get(_url(participant))
    first = response.context["programme"][0]
    assert first.state == "open" and first.minutes == 17 and first.homework == [homework]
    assert [row.state for row in response.context["programme"][1:]] == ["locked"] * 13
    html = response.content.decode()
    assert "17 min" in html
    assert reverse("therapists:review", args=[participant.pk, homework.pk]) in html


def test_it_shows_answers_messages_and_marks_the_sections_still_to_come(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hej!")
    client.force_login(therapist)
    html = client.get(_url(participant)).content.decode()
    assert "Tension in my shoulders" in html
    assert "Hej!" in html
    for section in ('id="scores"', 'id="goals"', 'id="activity-plan"'):
        assert section in html
    assert "Not available yet" not in html  # goals and the activity plan are filled in
    assert "Not shown on this page yet" in html


def test_opening_it_writes_an_access_log_row_and_counts_as_a_page_view(
    client: Any, therapist: User, participant: User
) -> None:
    client.force_login(therapist)
    client.get(_url(participant))
    assert (
        AccessLog.objects.filter(
            actor=therapist, subject=participant, action="patient overview", actor_role="therapist"
        ).count()
        == 1
    )
    assert PageView.objects.filter(staff=therapist, participant=participant).count() == 1


def test_the_participant_sees_that_the_therapist_opened_their_data(
    client: Any, therapist: User, participant: User
) -> None:
    client.force_login(therapist)
    client.get(_url(participant))
    client.force_login(participant)
    html = client.get(reverse("accounts:my-access-log")).content.decode()
    assert "patient overview" in html


def test_clinical_notes_are_saved_and_shown_to_staff_only(
    client: Any, therapist: User, participant: User
) -> None:
    client.force_login(therapist)
    response = client.post(
        reverse("therapists:note-add", args=[participant.pk]), {"body": "Low mood this week."}
    )
    assert response.status_code == 302
    note = ClinicalNote.objects.get()
    assert note.author == therapist and note.participant == participant
    assert "Low mood this week." in client.get(_url(participant)).content.decode()
    assert AccessLog.objects.filter(subject=participant, action="clinical note added").exists()

    client.force_login(participant)
    for url in (reverse("therapists:my-messages"), reverse("home")):
        assert "Low mood this week." not in client.get(url).content.decode()


def test_an_empty_note_is_not_saved(client: Any, therapist: User, participant: User) -> None:
    client.force_login(therapist)
    client.post(reverse("therapists:note-add", args=[participant.pk]), {"body": ""})
    assert not ClinicalNote.objects.exists()


def test_a_note_that_fails_validation_is_shown_back_with_its_errors(
    client: Any, therapist: User, participant: User
) -> None:
    from therapists.models import NOTE_MAX_LENGTH

    client.force_login(therapist)
    written = "Samtal om sömn. " + "x" * NOTE_MAX_LENGTH
    response = client.post(reverse("therapists:note-add", args=[participant.pk]), {"body": written})
    assert response.status_code == 200
    assert response.context["note_form"]["body"].value() == written
    assert response.context["note_form"].errors["body"]
    assert "Samtal om sömn." in response.content.decode()
    assert not ClinicalNote.objects.exists()


def test_time_is_logged_by_hand_and_added_to_the_automatic_time(
    client: Any, therapist: User, participant: User
) -> None:
    client.force_login(therapist)
    response = client.post(
        reverse("therapists:time-add", args=[participant.pk]),
        {"minutes": "25", "activity": "phone", "performed_on": "2026-03-02"},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert entry.minutes == 25 and entry.staff == therapist
    rows = client.get(_url(participant)).context["time"]
    assert len(rows) == 1 and rows[0].manual == 25 and rows[0].staff == therapist


@pytest.mark.parametrize("minutes", ["0", "481", "abc"])
def test_impossible_times_are_refused(
    client: Any, therapist: User, participant: User, minutes: str
) -> None:
    client.force_login(therapist)
    client.post(
        reverse("therapists:time-add", args=[participant.pk]),
        {"minutes": minutes, "activity": "phone", "performed_on": "2026-03-02"},
    )
    assert not TimeEntry.objects.exists()


def test_a_module_can_be_opened_early_from_the_overview(
    client: Any, therapist: User, participant: User, homework: Any, programme: Any
) -> None:
    client.force_login(therapist)
    html = client.get(_url(participant)).content.decode()
    url = reverse("therapists:release-module", args=[participant.pk, 2])
    assert url in html
    client.post(url)
    assert (
        ModuleProgress.objects.get(participant=participant, module=programme[1]).released_by
        == therapist
    )


def test_a_participant_who_has_not_started_has_an_overview_too(
    client: Any, therapist: User, participant: User, programme: Any
) -> None:
    client.force_login(therapist)
    response = client.get(_url(participant))
    assert response.status_code == 200
    assert "Not started" in response.content.decode()


def test_the_overview_costs_the_same_with_a_long_history(
    client: Any, therapist: User, participant: User, homework: Any, programme: Any
) -> None:
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(_url(participant))
        with CaptureQueriesContext(connection) as queries:
            client.get(_url(participant))
        return len(queries)

    client.force_login(therapist)
    thread = Thread.between(participant=participant, staff=therapist)
    before = count_queries()
    for index in range(30):
        thread.post(sender=participant, body=f"Message {index}")
        ClinicalNote.objects.create(participant=participant, author=therapist, body=f"Note {index}")
        TimeEntry.objects.create(
            participant=participant, staff=therapist, minutes=5, activity="phone"
        )
    assert count_queries() == before


def test_no_module_can_be_opened_for_a_study_arm_without_the_programme(
    client: Any, therapist: User, participant: User, programme: Any
) -> None:
    from modules.models import Enrolment

    Enrolment.enrol(participant, has_programme=False)
    client.force_login(therapist)
    html = client.get(_url(participant)).content.decode()
    assert "does not include the iCBT programme" in html
    url = reverse("therapists:release-module", args=[participant.pk, 2])
    assert url not in html
    assert client.post(url).status_code == 404
