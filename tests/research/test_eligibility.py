from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AccessLog
from modules.models import Enrolment
from research.models import CriterionKind, Eligibility, EligibilityCriterion, Study
from tests.research.builders import submit_time_point

pytestmark = pytest.mark.django_db

ANSWERS = {
    "c_age": "40",
    "c_pain_duration_months": "24",
    "c_device": "yes",
    "confirm": "on",
}


@pytest.fixture
def joined(study, participant, admin_user):  # type: ignore[no-untyped-def]
    return study.add_participant(participant, by=admin_user)


def test_screening_records_each_answer_with_who_confirmed_it_and_when(
    client, joined, admin_user, participant
) -> None:  # type: ignore[no-untyped-def]
    submit_time_point(participant, widespread=True)
    client.force_login(admin_user)
    response = client.post(reverse("research:screen", args=[joined.pk]), ANSWERS)
    assert response.status_code == 302
    record = Eligibility.objects.get(study_participant=joined)
    assert record.is_eligible and record.confirmed_by == admin_user and record.confirmed_at
    by_key = {answer["key"]: answer for answer in record.answers}
    assert by_key["age"]["value"] == 40 and by_key["age"]["met"] is True
    assert by_key["widespread_pain"] == {
        **by_key["widespread_pain"],
        "value": True,
        "met": True,
        "derived": True,
    }
    assert by_key["hads_depression"]["met"] is True
    joined.refresh_from_db()
    assert joined.screened_at and joined.eligible_at
    assert AccessLog.objects.filter(action="eligibility", subject=participant).exists()


def test_pain_that_is_not_widespread_makes_the_participant_not_eligible(
    client, joined, admin_user, participant
) -> None:  # type: ignore[no-untyped-def]
    submit_time_point(participant, widespread=False)
    client.force_login(admin_user)
    page = client.get(reverse("research:screen", args=[joined.pk])).content.decode()
    assert joined.study.criteria.get(key="widespread_pain").label in page
    client.post(reverse("research:screen", args=[joined.pk]), ANSWERS)
    record = Eligibility.objects.get(study_participant=joined)
    assert not record.is_eligible
    joined.refresh_from_db()
    assert joined.screened_at and joined.eligible_at is None


def test_an_age_outside_the_range_or_a_no_excludes(client, joined, admin_user, participant) -> None:  # type: ignore[no-untyped-def]
    submit_time_point(participant)
    client.force_login(admin_user)
    # The registration's range is 18 to 70: 71 is outside it.
    client.post(reverse("research:screen", args=[joined.pk]), {**ANSWERS, "c_age": "71"})
    client.post(reverse("research:screen", args=[joined.pk]), {**ANSWERS, "c_device": "no"})
    assert [r.is_eligible for r in Eligibility.objects.filter(study_participant=joined)] == [
        False,
        False,
    ]


def test_an_exclusion_rule_on_a_score_excludes(
    client, study, joined, admin_user, participant
) -> None:  # type: ignore[no-untyped-def]
    EligibilityCriterion.objects.create(
        study=study,
        position=9,
        key="pain_not_extreme",
        kind=CriterionKind.SCORE,
        label="Pain intensity at most 80",
        instrument="pain_vas",
        scale="pain",
        max_value=80,
    )
    submit_time_point(participant, pain=95)
    client.force_login(admin_user)
    client.post(reverse("research:screen", args=[joined.pk]), ANSWERS)
    record = Eligibility.objects.get(study_participant=joined)
    assert not record.is_eligible
    assert {a["key"]: a["met"] for a in record.answers}["pain_not_extreme"] is False


def test_eligibility_cannot_be_confirmed_before_baseline_answers_the_derived_criteria(
    client, joined, admin_user
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    response = client.post(reverse("research:screen", args=[joined.pk]), ANSWERS)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Eligibility.objects.exists()
    # A clear "no" is recorded even without baseline.
    client.post(reverse("research:screen", args=[joined.pk]), {**ANSWERS, "c_device": "no"})
    assert Eligibility.objects.get().is_eligible is False


def test_the_confirmation_is_required(client, joined, admin_user, participant) -> None:  # type: ignore[no-untyped-def]
    submit_time_point(participant)
    client.force_login(admin_user)
    response = client.post(
        reverse("research:screen", args=[joined.pk]), {"c_age": "40", "c_device": "yes"}
    )
    assert response.status_code == 200 and not Eligibility.objects.exists()


def test_eligibility_records_are_append_only(joined, admin_user) -> None:  # type: ignore[no-untyped-def]
    joined.record_eligibility(by=admin_user, answers=[], is_eligible=False)
    record = Eligibility.objects.get()
    record.is_eligible = True
    with pytest.raises(ValidationError):
        record.save()


def test_a_study_without_arms_enrols_the_eligible_into_the_programme(
    site, admin_user, participant
) -> None:  # type: ignore[no-untyped-def]
    study = Study.objects.create(name="Open study", created_by=admin_user)
    study.sites.add(site)
    member = study.add_participant(participant, by=admin_user)
    Enrolment.enrol(participant, has_programme=False)
    member.record_eligibility(by=admin_user, answers=[], is_eligible=True)
    assert Enrolment.objects.get(participant=participant).has_programme is True
    assert member.randomisation_problems()  # nothing to randomise into


def test_criteria_are_validated(study) -> None:  # type: ignore[no-untyped-def]
    bad = EligibilityCriterion(
        study=study,
        key="x",
        label="x",
        kind=CriterionKind.SCORE,
        instrument="nope",
        scale="total",
        max_value=3,
    )
    with pytest.raises(ValidationError):
        bad.full_clean()
    no_bound = EligibilityCriterion(study=study, key="y", label="y", kind=CriterionKind.AGE)
    with pytest.raises(ValidationError):
        no_bound.full_clean()


def test_the_checklist_page_adds_the_standard_checklist_and_saves_edits(
    client, site, admin_user
) -> None:  # type: ignore[no-untyped-def]
    study = Study.objects.create(name="Empty", created_by=admin_user)
    study.sites.add(site)
    client.force_login(admin_user)
    url = reverse("research:criteria", args=[study.pk])
    client.post(url, {"standard": "1"})
    assert study.criteria.count() == 6
    page = client.get(url)
    formset = page.context["formset"]
    data = {
        "criteria-TOTAL_FORMS": str(len(formset.forms)),
        "criteria-INITIAL_FORMS": "6",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
    }
    for index, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            data[f"criteria-{index}-{name}"] = "" if value is None else str(value)
    data["criteria-0-max_value"] = "65"
    assert client.post(url, data).status_code == 302
    assert study.criteria.get(key="age").max_value == 65


# -- the registration's rules, at each boundary ----------------------------------------------


def _verdict(study, **values):  # type: ignore[no-untyped-def]
    from research import eligibility

    staff = {"age": 40, "pain_duration_months": 24, "device": True}
    baseline = {
        "pain_locations": {"widespread": 1.0},
        "hads": {"anxiety": values.pop("anxiety", 8), "depression": values.pop("depression", 8)},
    }
    if "widespread" in values:
        baseline["pain_locations"]["widespread"] = 1.0 if values.pop("widespread") else 0.0
    staff.update(values)
    return eligibility.outcome(eligibility.screen(list(study.criteria.all()), staff, baseline))


@pytest.mark.parametrize(
    "age, eligible", [(17, False), (18, True), (40, True), (70, True), (71, False)]
)
def test_age_is_18_to_70_as_registered(study, age, eligible) -> None:  # type: ignore[no-untyped-def]
    assert _verdict(study, age=age) is eligible


@pytest.mark.parametrize("months, eligible", [(2, False), (2.9, False), (3, True), (120, True)])
def test_widespread_pain_must_have_lasted_at_least_three_months(study, months, eligible) -> None:  # type: ignore[no-untyped-def]
    assert _verdict(study, pain_duration_months=months) is eligible


@pytest.mark.parametrize("widespread, eligible", [(True, True), (False, False)])
def test_pain_must_be_widespread_by_acr_1990(study, widespread, eligible) -> None:  # type: ignore[no-untyped-def]
    assert _verdict(study, widespread=widespread) is eligible


@pytest.mark.parametrize("scale", ["anxiety", "depression"])
@pytest.mark.parametrize("score, eligible", [(0, True), (14, True), (15, True), (16, False)])
def test_hads_anxiety_and_depression_each_at_most_15(study, scale, score, eligible) -> None:  # type: ignore[no-untyped-def]
    assert _verdict(study, **{scale: score}) is eligible


def test_each_rule_is_data_the_study_can_edit(study) -> None:  # type: ignore[no-untyped-def]
    age = study.criteria.get(key="age")
    age.max_value = 65
    age.save()
    assert _verdict(study, age=66) is False
    assert {c.key for c in study.criteria.all()} == {
        "age",
        "widespread_pain",
        "pain_duration_months",
        "device",
        "hads_anxiety",
        "hads_depression",
    }


def test_a_hads_score_the_baseline_lacks_is_taken_from_the_screening_interview(
    client, joined, admin_user, participant, settings
) -> None:  # type: ignore[no-untyped-def]
    from assessments.models import Questionnaire
    from assessments.schedules import seed_default_schedule
    from tests.research.builders import REGION_KEYS

    # The HADS is not asked online (no texts installed): the baseline holds only the body map.
    settings.INSTRUMENT_TEXTS_FILE = ""
    time_point = seed_default_schedule().time_points.get(key="baseline")
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=time_point)
    questionnaire.save_answers("pain_locations", {k: 1 for k in REGION_KEYS})
    questionnaire.submit()
    client.force_login(admin_user)
    page = client.get(reverse("research:screen", args=[joined.pk])).content.decode()
    # Asked for the two HADS scores only: the body map answered the rest from the baseline.
    assert 'name="c_hads_anxiety"' in page and 'name="c_hads_depression"' in page
    assert 'name="c_widespread_pain"' not in page
    client.post(
        reverse("research:screen", args=[joined.pk]),
        {**ANSWERS, "c_hads_anxiety": "16", "c_hads_depression": "4"},
    )
    record = Eligibility.objects.get(study_participant=joined)
    assert record.is_eligible is False
    by_key = {answer["key"]: answer for answer in record.answers}
    assert by_key["hads_anxiety"] == {**by_key["hads_anxiety"], "value": 16.0, "derived": False}
    assert by_key["widespread_pain"]["derived"] is True
