from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AccessLog
from modules.models import Enrolment
from research.models import CriterionKind, Eligibility, EligibilityCriterion, Study
from tests.research.builders import submit_time_point

pytestmark = pytest.mark.django_db

ANSWERS = {"c_age": "40", "c_device": "yes", "confirm": "on"}


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
    client.post(reverse("research:screen", args=[joined.pk]), {**ANSWERS, "c_age": "70"})
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
    assert study.criteria.count() == 4
    page = client.get(url)
    formset = page.context["formset"]
    data = {
        "criteria-TOTAL_FORMS": str(len(formset.forms)),
        "criteria-INITIAL_FORMS": "4",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
    }
    for index, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            data[f"criteria-{index}-{name}"] = "" if value is None else str(value)
    data["criteria-0-max_value"] = "70"
    assert client.post(url, data).status_code == 302
    assert study.criteria.get(key="age").max_value == 70
