"""A study with two arms whose names appear nowhere else, and builders for the steps before
randomisation (baseline questionnaires, a confirmed screening)."""

from __future__ import annotations

from typing import Any

from accounts.models import Site, User
from assessments.instruments import REGION_KEYS
from assessments.models import Questionnaire
from assessments.schedules import seed_default_schedule
from research import eligibility
from research.models import Arm, Receives, Study, StudyParticipant
from tests.factories import make_participant

# Distinctive, so that a test can tell whether an arm's name reached a response.
INTERVENTION_NAME = "Quokka-Zeta intervention"
CONTROL_NAME = "Marmot-Theta control"


def make_study(
    site: Site,
    admin: User,
    *,
    weights: tuple[int, int] = (1, 1),
    multipliers: list[int] | None = None,
    factors: list[dict[str, Any]] | None = None,
    other_sites: tuple[Site, ...] = (),
    name: str = "Test trial",
) -> Study:
    study = Study.objects.create(
        name=name,
        created_by=admin,
        block_multipliers=multipliers or [2, 4],
        stratification_factors=factors or [],
    )
    study.sites.add(site, *other_sites)
    Arm.objects.create(
        study=study,
        name=INTERVENTION_NAME,
        code="icbt",
        receives=Receives.PROGRAMME_AND_PLAN,
        weight=weights[0],
        position=1,
    )
    Arm.objects.create(
        study=study,
        name=CONTROL_NAME,
        code="control",
        receives=Receives.PLAN,
        weight=weights[1],
        position=2,
    )
    study.add_default_criteria()
    return study


def submit_time_point(
    participant: User, key: str = "baseline", *, widespread: bool = True, pain: int = 60
) -> Questionnaire:
    """Submit the questionnaire of time point `key` through the assessments models."""
    schedule = seed_default_schedule()
    time_point = schedule.time_points.get(key=key)
    questionnaire, _created = Questionnaire.objects.get_or_create(
        participant=participant, time_point=time_point
    )
    regions = (
        {k: 1 for k in REGION_KEYS} if widespread else {k: int(k == "neck") for k in REGION_KEYS}
    )
    questionnaire.save_answers("pain_locations", regions)
    questionnaire.save_answers("pain_vas", {"q1": pain})
    questionnaire.save_answers("hads", {f"q{i}": 0 for i in range(1, 15)}, language="en")
    questionnaire.submit()
    return questionnaire


def confirm_eligible(member: StudyParticipant, admin: User) -> None:
    results = eligibility.screen(
        list(member.study.criteria.all()),
        {"age": 40, "device": True, "pain_duration_months": 24},
        member.baseline_scores(),
    )
    assert eligibility.outcome(results) is True, [r.as_record() for r in results]
    member.record_eligibility(by=admin, answers=[r.as_record() for r in results], is_eligible=True)


def ready_member(study: Study, participant: User, admin: User) -> StudyParticipant:
    """A study participant with baseline done and eligibility confirmed."""
    member = study.add_participant(participant, by=admin)
    submit_time_point(participant)
    confirm_eligible(member, admin)
    return member


def new_ready_member(study: Study, site: Site, admin: User, email: str) -> StudyParticipant:
    return ready_member(study, make_participant(site, email), admin)
