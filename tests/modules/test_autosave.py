from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from modules.models import Answer, AnswerRevision, ModuleProgress, StepProgress
from tests.modules.helpers import autosave, post_data, step

pytestmark = pytest.mark.django_db

GOOD = {
    "reason": "Jag vill orka mer.",
    "stress_now": 7,
    "pain_impact": 5,
    "stress_areas": ["pain", "sleep"],
    "support": "knows",
}


@pytest.fixture
def exercise(enrolled):  # type: ignore[no-untyped-def]
    return step(1, "starting-point")


@pytest.fixture
def signed_in(client, enrolled):  # type: ignore[no-untyped-def]
    client.force_login(enrolled)
    return client


def test_an_answer_is_saved_as_the_participant_types(signed_in, enrolled, exercise):
    response = autosave(signed_in, exercise, GOOD, revision=0)
    assert response.status_code == 200
    assert response["X-Answer-Revision"] == "1"
    assert "Sparat kl." in response.content.decode()
    answer = Answer.objects.get(participant=enrolled, step=exercise)
    assert answer.data == GOOD
    assert answer.revision == 1 and answer.content_version == 1
    assert AnswerRevision.objects.filter(
        answer=answer, revision=1, accepted=True, source="autosave"
    ).exists()


def test_the_new_revision_is_swapped_into_the_form(signed_in, exercise):
    html = autosave(signed_in, exercise, GOOD, revision=0).content.decode()
    assert f'id="revision-{exercise.pk}" hx-swap-oob="true"' in html and 'value="1"' in html


def test_every_save_is_kept_in_the_history(signed_in, enrolled, exercise):
    autosave(signed_in, exercise, {**GOOD, "reason": "Första"}, revision=0)
    autosave(signed_in, exercise, {**GOOD, "reason": "Andra"}, revision=1)
    answer = Answer.objects.get(participant=enrolled, step=exercise)
    assert answer.revision == 2 and answer.data["reason"] == "Andra"
    assert [r.data["reason"] for r in answer.revisions.order_by("revision")] == ["Första", "Andra"]


def test_a_save_based_on_an_old_revision_is_refused_and_shows_the_newer_text(
    signed_in, enrolled, exercise
):
    autosave(signed_in, exercise, {**GOOD, "reason": "Från fliken på mobilen"}, revision=0)
    response = autosave(
        signed_in, exercise, {**GOOD, "reason": "Från den gamla fliken"}, revision=0
    )
    assert response.status_code == 409
    assert response["X-Autosave-Error"] == "stale"
    assert response["HX-Retarget"] == f"#exercise-{exercise.pk}"
    html = response.content.decode()
    assert "Från fliken på mobilen" in html  # the newer text, in the form
    assert "Från den gamla fliken" in html  # this window's text, beside it, to copy or use
    answer = Answer.objects.get(participant=enrolled, step=exercise)
    assert answer.data["reason"] == "Från fliken på mobilen" and answer.revision == 1
    refused = AnswerRevision.objects.get(answer=answer, accepted=False)
    assert refused.data["reason"] == "Från den gamla fliken"


def test_a_stale_save_of_the_same_text_is_not_a_conflict(signed_in, exercise):
    autosave(signed_in, exercise, GOOD, revision=0)
    response = autosave(signed_in, exercise, GOOD, revision=0)
    assert response.status_code == 200 and response["X-Answer-Revision"] == "1"


def test_a_session_that_ended_while_typing_gets_401_and_nothing_is_stored(
    signed_in, enrolled, exercise
):
    signed_in.get(reverse("modules:step-detail", args=[1, exercise.slug]))
    later = timezone.now() + timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 60)
    with time_machine.travel(later):
        response = autosave(signed_in, exercise, GOOD, revision=0)
    assert response.status_code == 401
    assert response["X-Autosave-Error"] == "signed-out"
    assert response.json()["error"] == "signed_out"
    assert response.json()["login_url"].startswith(reverse("account_login"))
    assert not Answer.objects.filter(participant=enrolled).exists()


def test_the_session_check_tells_the_script_whether_to_send_again(client, enrolled):
    url = reverse("modules:session-check")
    assert client.get(url).status_code == 401
    client.force_login(enrolled)
    response = client.get(url)
    assert response.status_code == 200 and response.json()["csrf"]


def test_without_javascript_a_signed_out_post_shows_what_was_typed(client, enrolled, exercise):
    url = reverse("modules:answer-save", args=[1, exercise.slug])
    response = client.post(url, post_data(exercise.exercise, GOOD, 0))
    assert response.status_code == 401
    assert "Jag vill orka mer." in response.content.decode()
    assert not Answer.objects.exists()


def test_without_javascript_the_form_saves_and_continues(signed_in, enrolled, exercise):
    url = reverse("modules:answer-save", args=[1, exercise.slug])
    response = signed_in.post(url, {**post_data(exercise.exercise, GOOD, 0), "continue": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("modules:step-detail", args=[1, "goals"])
    assert Answer.objects.get(participant=enrolled, step=exercise).data == GOOD
    assert StepProgress.objects.get(participant=enrolled, step=exercise).completed_at is not None
    assert AnswerRevision.objects.get(answer__step=exercise).source == "form"


def test_without_javascript_a_stale_post_shows_both_versions(signed_in, exercise):
    autosave(signed_in, exercise, {**GOOD, "reason": "Nyare"}, revision=0)
    url = reverse("modules:answer-save", args=[1, exercise.slug])
    response = signed_in.post(url, post_data(exercise.exercise, {**GOOD, "reason": "Äldre"}, 0))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Nyare" in html and "Äldre" in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "x" * 4001),
        ("stress_now", "11"),
        ("stress_now", "-1"),
        ("stress_now", "sju"),
        ("support", "maybe"),
        ("stress_areas", "weather"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(signed_in, enrolled, exercise, field, value):
    data = post_data(exercise.exercise, GOOD, 0)
    data[f"a-{field}"] = value
    response = signed_in.post(
        reverse("modules:answer-save", args=[1, exercise.slug]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert response["X-Autosave-Error"] == "invalid"
    html = response.content.decode()
    assert f'id="id_a-{field}-error" hx-swap-oob="true"><p>' in html
    assert not Answer.objects.filter(participant=enrolled).exists()


def test_a_missing_revision_is_refused(signed_in, exercise):
    data = post_data(exercise.exercise, GOOD)
    response = signed_in.post(
        reverse("modules:answer-save", args=[1, exercise.slug]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_table_rows_are_kept_in_order_without_empty_rows(signed_in, enrolled):
    homework = step(14, "plan-ahead")
    ModuleProgress.objects.create(
        participant=enrolled, module=homework.module, opened_at=timezone.now()
    )
    data = post_data(homework.exercise, {"check_in_date": "2026-03-01"}, 0)
    data.update(
        {
            "a-next_steps-0-step": "Vila varje dag",
            "a-next_steps-0-start_date": "2026-02-02",
            "a-next_steps-2-step": "Promenera",
        }
    )
    response = signed_in.post(
        reverse("modules:answer-save", args=[14, "plan-ahead"]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    rows = Answer.objects.get(participant=enrolled, step=homework).data["next_steps"]
    assert rows == [
        {"step": "Vila varje dag", "start_date": "2026-02-02"},
        {"step": "Promenera", "start_date": ""},
    ]


def test_a_bad_date_or_time_is_refused(signed_in, enrolled):
    homework = step(1, "goals")
    data = post_data(homework.exercise, {"programme_time": "25:99"}, 0)
    response = signed_in.post(
        reverse("modules:answer-save", args=[1, "goals"]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_text_steps_take_no_answers(signed_in):
    response = signed_in.post(
        reverse("modules:answer-save", args=[1, "welcome"]), {"revision": "0"}
    )
    assert response.status_code == 404


def test_saving_counts_as_activity_on_the_visit(signed_in, enrolled, exercise):
    from modules.models import StepVisit

    signed_in.get(reverse("modules:step-detail", args=[1, exercise.slug]))
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        autosave(signed_in, exercise, GOOD, revision=0)
    visit = StepVisit.objects.get(participant=enrolled, step=exercise)
    assert visit.last_active_at - visit.started_at >= timedelta(minutes=4)


def test_a_visit_lasts_until_the_next_step_is_opened_and_a_save_after_that_moves_nothing(
    signed_in, enrolled, exercise
):
    from modules.models import StepVisit, visit_length

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        signed_in.get(reverse("modules:step-detail", args=[1, exercise.slug]))
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        signed_in.get(reverse("modules:step-detail", args=[1, "welcome"]))
    # Saved in the first tab after the second step was opened in another.
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        autosave(signed_in, exercise, GOOD, revision=0)
    lengths = list(
        StepVisit.objects.filter(participant=enrolled)
        .annotate(length=visit_length())
        .values_list("step__slug", "length")
    )
    assert lengths == [(exercise.slug, timedelta(minutes=3)), ("welcome", timedelta(0))]


def test_a_revision_larger_than_any_column_holds_is_a_clear_400(signed_in, enrolled, exercise):
    response = autosave(signed_in, exercise, GOOD, revision=99999999999999999999999)
    assert response.status_code == 400
    assert not Answer.objects.filter(participant=enrolled, step=exercise).exists()


def test_a_page_drawn_after_the_first_autosave_shows_the_step_s_place_in_the_module(
    signed_in, exercise
):  # type: ignore[no-untyped-def]
    """Autosave draws the step without the module's other steps; the page's introduction
    ("Step n of m"), kept once drawn for everyone, must come from a full page."""
    assert autosave(signed_in, exercise, GOOD, revision=0).status_code == 200
    html = signed_in.get(reverse("modules:step-detail", args=[1, exercise.slug])).content.decode()
    assert "Steg 6 av 8" in html and "Steg 1 av 1" not in html
    assert '<progress class="meter" max="8" value="6"' in html
