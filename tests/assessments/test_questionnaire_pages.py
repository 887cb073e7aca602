"""The participant's questionnaire pages: paging, saving, resuming, submitting, scoring."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from assessments.instruments import REGION_KEYS, get_instrument
from assessments.models import InstrumentResponse, Questionnaire, RiskFlag, TimePoint
from assessments.schedules import seed_default_schedule
from tests.factories import make_participant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clinic_texts")]


# These tests read the pages' English wording.
@pytest.fixture
def cast_language() -> str:
    return "en"


SHORT = ["pain_vas", "pain_locations", "hads"]  # pages: 1 VAS, 2 body map, 3-5 HADS


@pytest.fixture
def baseline(db: None) -> TimePoint:
    schedule = seed_default_schedule()
    time_point = schedule.time_points.get(key="baseline")
    time_point.instruments = SHORT
    time_point.save()
    return time_point


def page_url(time_point: TimePoint, number: int) -> str:
    return reverse("assessments:questionnaire-page", args=[time_point.pk, number])


def hads_page(numbers: range, value: int = 1) -> dict[str, str]:
    return {f"q{n}": str(value) for n in numbers}


def answer_all(client: Any, time_point: TimePoint) -> None:
    assert client.post(page_url(time_point, 1), {"q1": "40", "go": "next"}).status_code == 302
    client.post(page_url(time_point, 2), {"regions": ["neck", "hip_left"], "go": "next"})
    client.post(page_url(time_point, 3), {**hads_page(range(1, 6)), "go": "next"})
    client.post(page_url(time_point, 4), {**hads_page(range(6, 11)), "go": "next"})
    client.post(page_url(time_point, 5), {**hads_page(range(11, 15)), "go": "next"})


def stored(participant: User, time_point: TimePoint, code: str) -> dict[str, Any]:
    return InstrumentResponse.objects.get(
        questionnaire__participant=participant,
        questionnaire__time_point=time_point,
        instrument=code,
    ).answers


def test_the_first_page_shows_progress_and_the_visual_analogue_scale(client, participant, baseline):
    client.force_login(participant)
    response = client.get(page_url(baseline, 1))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Page 1 of 5" in body
    assert 'type="range"' in body and 'type="number"' in body
    # Unanswered is an empty field, never a 0 or the slider's midpoint.
    assert 'name="q1" id="id_q1" value=""' in body
    assert "is-unset" in body


def test_saving_a_page_stores_its_answers_and_goes_on(client, participant, baseline):
    client.force_login(participant)
    response = client.post(page_url(baseline, 1), {"q1": "62", "go": "next"})
    assert response.status_code == 302 and response["Location"] == page_url(baseline, 2)
    assert stored(participant, baseline, "pain_vas") == {"q1": 62}


def test_a_blank_visual_analogue_scale_is_stored_as_not_answered(client, participant, baseline):
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"q1": "", "go": "next"})
    assert stored(participant, baseline, "pain_vas") == {"q1": None}


def test_zero_is_an_answer_distinct_from_blank(client, participant, baseline):
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"q1": "0", "go": "next"})
    assert stored(participant, baseline, "pain_vas") == {"q1": 0}
    body = client.get(page_url(baseline, 1)).content.decode()
    assert 'name="q1" id="id_q1" value="0"' in body


def test_an_out_of_range_answer_is_explained_and_not_saved(client, participant, baseline):
    client.force_login(participant)
    response = client.post(page_url(baseline, 1), {"q1": "140", "go": "next"})
    assert response.status_code == 200
    assert "Give a number from 0 to 100." in response.content.decode()
    assert not Questionnaire.objects.filter(participant=participant).exists()


def test_an_answer_that_is_not_an_option_is_refused(client, participant, baseline):
    client.force_login(participant)
    response = client.post(page_url(baseline, 3), {"q1": "7", "go": "next"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_the_body_map_stores_every_region_marked_or_not(client, participant, baseline):
    client.force_login(participant)
    client.post(page_url(baseline, 2), {"regions": ["neck", "shoulder_left"], "go": "next"})
    answers = stored(participant, baseline, "pain_locations")
    assert set(answers) == set(REGION_KEYS)
    assert {key for key, value in answers.items() if value} == {"neck", "shoulder_left"}


def test_the_body_map_checklist_is_grouped_and_remembers_marks(client, participant, baseline):
    client.force_login(participant)
    client.post(page_url(baseline, 2), {"regions": ["lower_back"], "go": "next"})
    body = client.get(page_url(baseline, 2)).content.decode()
    assert body.count("<fieldset") == 3
    assert 'value="lower_back" id="region-lower_back" checked' in body
    assert 'aria-hidden="true"' in body and 'data-region="lower_back"' in body


def test_save_and_continue_later_goes_home_and_the_next_visit_resumes(
    client, participant, baseline
):
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"q1": "55", "go": "next"})
    response = client.post(page_url(baseline, 2), {"regions": ["neck"], "go": "later"})
    assert response["Location"] == reverse("home")
    detail = client.get(reverse("assessments:questionnaire", args=[baseline.pk])).content.decode()
    assert "Continue where you left off" in detail
    assert page_url(baseline, 3) in detail
    assert "Pages answered: 2 of 5" in detail


def test_a_page_left_blank_still_counts_as_seen(client, participant, baseline):
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"go": "next"})
    detail = client.get(reverse("assessments:questionnaire", args=[baseline.pk])).content.decode()
    assert page_url(baseline, 2) in detail


def test_going_back_saves_the_current_page_first(client, participant, baseline):
    client.force_login(participant)
    response = client.post(page_url(baseline, 3), {**hads_page(range(1, 6)), "go": "previous"})
    assert response["Location"] == page_url(baseline, 2)
    assert stored(participant, baseline, "hads") == {f"q{n}": 1 for n in range(1, 6)}


def test_pages_of_one_instrument_merge_their_answers(client, participant, baseline):
    client.force_login(participant)
    client.post(page_url(baseline, 3), {**hads_page(range(1, 6)), "go": "next"})
    client.post(page_url(baseline, 4), {**hads_page(range(6, 11), 2), "go": "next"})
    answers = stored(participant, baseline, "hads")
    assert answers["q1"] == 1 and answers["q10"] == 2 and len(answers) == 10


def test_the_last_page_leads_to_the_review(client, participant, baseline):
    client.force_login(participant)
    response = client.post(page_url(baseline, 5), {**hads_page(range(11, 15)), "go": "next"})
    assert response["Location"] == reverse("assessments:questionnaire-review", args=[baseline.pk])


def test_a_page_number_outside_the_questionnaire_is_not_found(client, participant, baseline):
    client.force_login(participant)
    assert client.get(page_url(baseline, 6)).status_code == 404
    assert client.get(page_url(baseline, 0)).status_code == 404


def test_the_review_lists_pages_not_yet_answered_and_refuses_to_submit(
    client, participant, baseline
):
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"q1": "40", "go": "next"})
    review = reverse("assessments:questionnaire-review", args=[baseline.pk])
    body = client.get(review).content.decode()
    assert page_url(baseline, 2) in body and "Send my answers" not in body
    client.post(review)
    assert Questionnaire.objects.get(participant=participant).submitted_at is None


def test_submitting_scores_every_instrument_with_its_scoring_version(client, participant, baseline):
    client.force_login(participant)
    answer_all(client, baseline)
    review = reverse("assessments:questionnaire-review", args=[baseline.pk])
    assert "Send my answers" in client.get(review).content.decode()
    response = client.post(review)
    assert response["Location"] == reverse("assessments:questionnaire", args=[baseline.pk])
    questionnaire = Questionnaire.objects.get(participant=participant)
    assert questionnaire.submitted_at is not None
    scores = {r.instrument: r for r in questionnaire.responses.all()}
    assert scores["pain_vas"].scores == {"pain": 40.0}
    assert scores["pain_locations"].scores["count"] == 2.0
    assert scores["hads"].scores == get_instrument("hads").score(scores["hads"].answers)
    assert scores["hads"].scoring_version == get_instrument("hads").scoring_version
    assert all(r.scored_at is not None for r in scores.values())


def test_the_review_points_to_questions_left_blank(client, participant, baseline):
    client.force_login(participant)
    answer_all(client, baseline)
    client.post(page_url(baseline, 3), {"q1": "1", "go": "next"})
    body = client.get(
        reverse("assessments:questionnaire-review", args=[baseline.pk])
    ).content.decode()
    assert "4 blank" in body and page_url(baseline, 3) in body


def test_a_submitted_questionnaire_cannot_be_changed(client, participant, baseline):
    client.force_login(participant)
    answer_all(client, baseline)
    client.post(reverse("assessments:questionnaire-review", args=[baseline.pk]))
    response = client.post(page_url(baseline, 1), {"q1": "99", "go": "next"})
    assert response["Location"] == reverse("assessments:questionnaire", args=[baseline.pk])
    assert stored(participant, baseline, "pain_vas") == {"q1": 40}
    # A second submit (a double click, another tab) changes nothing.
    first = Questionnaire.objects.get(participant=participant).submitted_at
    client.post(reverse("assessments:questionnaire-review", args=[baseline.pk]))
    assert Questionnaire.objects.get(participant=participant).submitted_at == first


def test_submitting_twice_from_the_model_is_refused(participant, baseline):
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=baseline)
    assert questionnaire.submit() is True
    assert Questionnaire.objects.get(pk=questionnaire.pk).submit() is False


def test_a_closed_questionnaire_takes_no_answers(client, participant, baseline):
    participant.date_joined = timezone.now() - timedelta(days=40)
    participant.save()
    client.force_login(participant)
    response = client.post(page_url(baseline, 1), {"q1": "40", "go": "next"})
    assert response["Location"] == reverse("assessments:questionnaire", args=[baseline.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "closed" in detail and "not saved" in detail
    assert not Questionnaire.objects.filter(participant=participant).exists()


def test_a_questionnaire_not_yet_open_cannot_be_answered(client, participant, baseline):
    six_months = baseline.schedule.time_points.get(key="6m")
    client.force_login(participant)
    response = client.get(page_url(six_months, 1))
    assert response["Location"] == reverse("assessments:questionnaire", args=[six_months.pk])
    assert "opens on" in client.get(response["Location"]).content.decode()


def test_an_inactive_time_point_is_not_found(client, participant, baseline):
    twelve = baseline.schedule.time_points.get(key="12m")
    client.force_login(participant)
    assert client.get(reverse("assessments:questionnaire", args=[twelve.pk])).status_code == 404


def test_the_rand36_page_shows_its_public_domain_text_and_credit(client, participant, baseline):
    baseline.instruments = ["rand36"]
    baseline.save()
    client.force_login(participant)
    body = client.get(page_url(baseline, 1)).content.decode()
    assert "In general, would you say your health is:" in body
    assert "RAND 36-Item Health Survey 1.0, RAND Health Care, public domain" in body


def test_instructions_shared_by_items_are_shown_once_per_page(client, participant, baseline):
    baseline.instruments = ["rand36"]
    baseline.save()
    client.force_login(participant)
    body = client.get(page_url(baseline, 2)).content.decode()
    assert body.count("Does your health now limit you in these activities?") == 1


def test_clinic_texts_replace_the_placeholders(client, participant, baseline, settings, tmp_path):
    path = tmp_path / "texts.yaml"
    items = "".join(f"      q{n}: 'Clinic text of item {n}'\n" for n in range(1, 15))
    path.write_text(
        "hads:\n  en:\n    options: {0: 'Zero', 1: 'One', 2: 'Two', 3: 'Three'}\n"
        f"    items:\n{items}",
        encoding="utf-8",
    )
    settings.INSTRUMENT_TEXTS_FILE = str(path)
    participant.language = "en"
    participant.save()
    client.force_login(participant)
    body = client.get(page_url(baseline, 3)).content.decode()
    assert "Clinic text of item 1" in body and "Three" in body
    assert "HADS item" not in body
    client.post(page_url(baseline, 3), {**hads_page(range(1, 6)), "go": "next"})
    assert InstrumentResponse.objects.get(instrument="hads").language == "en"


def test_an_instrument_with_some_texts_missing_is_not_asked_at_all(
    client, participant, baseline, settings, tmp_path
):
    # Item 1 supplied, 2-14 not: asking it would show placeholders for the rest.
    path = tmp_path / "texts.yaml"
    path.write_text(
        "hads:\n  en:\n    options: {0: 'Zero', 1: 'One', 2: 'Two', 3: 'Three'}\n"
        "    items:\n      q1: 'Clinic text of item one'\n",
        encoding="utf-8",
    )
    settings.INSTRUMENT_TEXTS_FILE = str(path)
    participant.language = "en"
    participant.save()
    client.force_login(participant)
    front = client.get(reverse("assessments:questionnaire", args=[baseline.pk])).content.decode()
    assert "HADS" not in front
    assert client.get(page_url(baseline, 3)).status_code == 404  # two pages: VAS and body map
    for number in (1, 2):
        assert "HADS item" not in client.get(page_url(baseline, number)).content.decode()


def test_a_swedish_reader_is_not_asked_an_instrument_with_english_texts_only(
    client, participant, baseline, settings, tmp_path
):
    baseline.instruments = ["pain_vas", "rand36"]
    baseline.save()
    settings.INSTRUMENT_TEXTS_FILE = ""
    participant.language = "sv"
    participant.save()
    client.force_login(participant)
    with translation.override("sv"):
        assert client.get(page_url(baseline, 2)).status_code == 404
        body = client.get(page_url(baseline, 1)).content.decode()
    assert "RAND" not in body


def test_placeholder_answers_are_never_scored_and_raise_no_flag(participant, baseline, settings):
    settings.INSTRUMENT_TEXTS_FILE = ""
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=baseline)
    # As if answered on a page with placeholder labels (no language of real texts recorded).
    questionnaire.save_answers("hads", {f"q{n}": 3 for n in range(1, 15)})
    questionnaire.submit()
    response = InstrumentResponse.objects.get(instrument="hads")
    assert response.scores is None
    assert not RiskFlag.objects.exists()


def test_the_review_lists_each_answer_in_the_words_seen_and_what_is_missing(
    client, participant, baseline
):
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"q1": "40", "go": "next"})
    client.post(page_url(baseline, 2), {"regions": ["neck"], "go": "next"})
    client.post(page_url(baseline, 3), {**hads_page(range(1, 5)), "q5": "", "go": "next"})
    body = client.get(reverse("assessments:questionnaire-review", args=[baseline.pk]))
    text = body.content.decode()
    assert "Your answers so far" in text
    assert "Test wording hads q1" in text and "Test option 1" in text
    assert "Neck" in text
    assert text.count("Not answered") >= 1  # q5 left blank
    assert "These pages have not been answered yet" in text  # pages 4 and 5


def test_the_platforms_own_wording_follows_the_interface_language(client, participant, baseline):
    participant.language = "en"
    participant.save()
    client.force_login(participant)
    body = client.get(page_url(baseline, 1)).content.decode()
    assert "How strong has your pain been during the past week, on average?" in body
    assert "Worst imaginable pain" in body


def test_the_list_shows_each_time_point_with_its_status(client, participant, baseline):
    client.force_login(participant)
    body = client.get(reverse("assessments:questionnaire-list")).content.decode()
    assert "To do" in body and "Not open yet" in body
    assert reverse("assessments:questionnaire", args=[baseline.pk]) in body


def test_the_home_page_shows_the_questionnaire_due(client, participant, baseline):
    client.force_login(participant)
    body = client.get(reverse("home")).content.decode()
    assert "Questionnaires to answer" in body
    assert reverse("assessments:questionnaire", args=[baseline.pk]) in body


def test_the_home_page_has_no_panel_when_nothing_is_due(client, participant, baseline):
    client.force_login(participant)
    answer_all(client, baseline)
    client.post(reverse("assessments:questionnaire-review", args=[baseline.pk]))
    assert "Questionnaires to answer" not in client.get(reverse("home")).content.decode()


# -- query counts -------------------------------------------------------------------------------


def _other_participants_answer(site: Any, baseline: TimePoint, count: int) -> None:
    start = User.objects.count()
    for index in range(start, start + count):
        person = make_participant(site, f"bulk{index}@test.example")
        questionnaire = Questionnaire.objects.create(participant=person, time_point=baseline)
        questionnaire.save_answers("pain_vas", {"q1": index})
        questionnaire.save_answers("hads", {f"q{n}": 1 for n in range(1, 15)}, language="en")


def _request(client: Any, url: str, data: dict[str, Any] | None) -> None:
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(
    ("name", "number", "data"),
    [
        ("page", 3, None),
        ("page", 2, None),
        ("page", 3, {"q1": "1", "q2": "2", "go": "next"}),
        ("detail", 0, None),
        ("review", 0, None),
        ("list", 0, None),
    ],
)
def test_questionnaire_pages_cost_the_same_queries_however_much_data(
    client, participant, site, baseline, name, number, data, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    urls = {
        "page": page_url(baseline, number) if number else "",
        "detail": reverse("assessments:questionnaire", args=[baseline.pk]),
        "review": reverse("assessments:questionnaire-review", args=[baseline.pk]),
        "list": reverse("assessments:questionnaire-list"),
    }
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"q1": "40", "go": "next"})
    client.post(page_url(baseline, 4), {**hads_page(range(6, 11)), "go": "next"})
    _other_participants_answer(site, baseline, 2)
    with CaptureQueriesContext(connection) as captured:
        _request(client, urls[name], data)
    # Counted now: the next request empties the connection's query log.
    small = len(captured)
    # More of the participant's own answers, and many more of other people's.
    client.post(page_url(baseline, 2), {"regions": ["neck"], "go": "next"})
    client.post(page_url(baseline, 5), {**hads_page(range(11, 15)), "go": "next"})
    _other_participants_answer(site, baseline, 20)
    with django_assert_num_queries(small):
        _request(client, urls[name], data)


def test_the_participant_menu_links_to_the_questionnaires(client, participant, baseline):
    client.force_login(participant)
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("assessments:questionnaire-list")}"' in body


def test_a_swedish_participant_reads_the_pages_in_swedish(client, participant, baseline):
    participant.language = "sv"
    participant.save()
    client.force_login(participant)
    body = client.get(page_url(baseline, 1)).content.decode()
    assert "Sida 1 av 5" in body and "Spara och gå till nästa sida" in body
    assert "Hur stark har din smärta varit" in body and "Inte besvarad" in body


def test_numeric_items_that_are_not_visual_analogue_scales_get_a_plain_number_field(
    client, participant, baseline
):
    baseline.instruments = ["ltpai", "fiq"]
    baseline.save()
    client.force_login(participant)
    body = client.get(page_url(baseline, 1)).content.decode()
    assert 'type="range"' not in body and body.count('type="number"') == 4
    client.post(page_url(baseline, 1), {"q1": "2.5", "q2": "", "q3": "1", "q4": "0", "go": "next"})
    assert stored(participant, baseline, "ltpai") == {"q1": 2.5, "q2": None, "q3": 1, "q4": 0}


# -- who may open the participant's pages ------------------------------------------------------


def participant_urls(time_point: TimePoint) -> list[str]:
    return [
        reverse("assessments:questionnaire-list"),
        reverse("assessments:my-results"),
        reverse("assessments:questionnaire", args=[time_point.pk]),
        page_url(time_point, 1),
        reverse("assessments:questionnaire-review", args=[time_point.pk]),
    ]


@pytest.mark.parametrize("who", ["therapist", "other_therapist", "physio", "admin_user"])
def test_staff_cannot_open_the_questionnaire_pages(request, client, baseline, who):
    client.force_login(request.getfixturevalue(who))
    for url in participant_urls(baseline):
        assert client.get(url).status_code == 404, url
    assert client.post(page_url(baseline, 1), {"q1": "5"}).status_code == 404
    assert not Questionnaire.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_from_the_questionnaire_pages(client, baseline):
    for url in participant_urls(baseline):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_another_participant_never_sees_or_changes_someone_elses_answers(
    client, participant, other_participant, baseline
):
    client.force_login(participant)
    client.post(page_url(baseline, 1), {"q1": "73", "go": "next"})
    client.force_login(other_participant)
    body = client.get(page_url(baseline, 1)).content.decode()
    assert 'value="73"' not in body
    client.post(page_url(baseline, 1), {"q1": "12", "go": "next"})
    assert stored(participant, baseline, "pain_vas") == {"q1": 73}
    assert stored(other_participant, baseline, "pain_vas") == {"q1": 12}


def test_the_pages_refuse_other_methods(client, participant, baseline):
    client.force_login(participant)
    assert client.post(reverse("assessments:questionnaire-list")).status_code == 405
    assert client.post(reverse("assessments:questionnaire", args=[baseline.pk])).status_code == 405
    assert client.delete(page_url(baseline, 1)).status_code == 405


def test_answers_saved_through_a_copy_loaded_before_the_submit_are_refused(participant, baseline):
    from django.core.exceptions import ValidationError

    questionnaire = Questionnaire.objects.create(participant=participant, time_point=baseline)
    questionnaire.save_answers("pain_vas", {"q1": 40})
    # Another request loaded the questionnaire before this one submitted it.
    stale = Questionnaire.objects.get(pk=questionnaire.pk)
    assert questionnaire.submit() is True
    with pytest.raises(ValidationError):
        stale.save_answers("pain_vas", {"q1": 99})
    assert stored(participant, baseline, "pain_vas") == {"q1": 40}


def test_a_page_sent_after_another_tab_submitted_is_refused_with_a_message(
    client, participant, baseline
):
    from unittest import mock

    from assessments import views

    client.force_login(participant)
    answer_all(client, baseline)
    real = views._scheduled_for

    def read_before_the_other_tab_submits(request, time_point_id):  # type: ignore[no-untyped-def]
        row = real(request, time_point_id)
        Questionnaire.objects.get(participant=participant).submit()
        return row

    with mock.patch.object(views, "_scheduled_for", read_before_the_other_tab_submits):
        response = client.post(page_url(baseline, 1), {"q1": "99", "go": "next"})
    assert response["Location"] == reverse("assessments:questionnaire", args=[baseline.pk])
    assert stored(participant, baseline, "pain_vas") == {"q1": 40}


def test_a_decimal_in_a_whole_number_item_is_a_form_error_not_a_stored_answer(caplog):
    from assessments.forms import PageForm

    item = get_instrument("fiq").item("q12")
    form = PageForm({"q12": "3.5"}, items=[item])
    assert not form.is_valid()
    assert form.errors["q12"] == ["Give a whole number."]
    assert PageForm({"q12": "3"}, items=[item]).answers() == {"q12": 3}
    assert "3.5" not in caplog.text
