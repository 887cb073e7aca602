"""The demo study for `manage.py seed_demo` (safe to run again).

"Stress and pain trial (demo)" runs at the demo clinic with two arms, 1:1: the iCBT programme
with the activity plan, and the activity plan alone. participant@example.org is screened and
randomised to the programme arm (so the programme shows); participant2@example.org is in the
study but not randomised yet (baseline to do), so his programme is closed until randomisation
(his home page says what comes next), as for every participant of a study with arms.

A real study's sequence is drawn at random. The demo writes out the first block of its one
stratum instead (a valid permuted block of 2 x the ratio sum: programme, programme, plan, plan),
so that the demo is the same every time and randomising participant2 in the demo also gives the
programme.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import Site, User
from research import eligibility
from research.models import Allocation, Arm, Receives, Study, StudyParticipant

DEMO_STUDY_NAME = "Stress and pain trial (demo)"
DEMO_FIRST_BLOCK = ["icbt", "icbt", "plan", "plan"]


def seed_demo_research() -> None:
    site = Site.objects.filter(code="demo").first()
    admin = User.objects.filter(email="admin@example.org").first()
    first = User.objects.filter(email="participant@example.org").first()
    second = User.objects.filter(email="participant2@example.org").first()
    if site is None or admin is None or first is None or second is None:
        return
    from assessments.demo import seed_demo_assessments

    # participant@'s baseline comes from the assessments demo; make sure it is there first.
    seed_demo_assessments()
    with transaction.atomic():
        study = Study.objects.filter(name=DEMO_STUDY_NAME).first()
        if study is None:
            study = Study.objects.create(
                name=DEMO_STUDY_NAME,
                registration="NCT04624139 (demo)",
                created_by=admin,
                block_multipliers=[2, 4],
            )
        study.sites.add(site)
        icbt, _ = Arm.objects.get_or_create(
            study=study,
            code="icbt",
            defaults={
                "name": "iCBT and activity plan",
                "receives": Receives.PROGRAMME_AND_PLAN,
                "weight": 1,
                "position": 1,
            },
        )
        plan, _ = Arm.objects.get_or_create(
            study=study,
            code="plan",
            defaults={
                "name": "Activity plan",
                "receives": Receives.PLAN,
                "weight": 1,
                "position": 2,
            },
        )
        study.add_default_criteria()
        stratum = study.stratum_key(site, {})
        if not Allocation.sequence.filter(study=study, stratum=stratum).exists():
            arms = {"icbt": icbt, "plan": plan}
            Allocation.sequence.bulk_create(
                Allocation(
                    study=study,
                    stratum=stratum,
                    position=position,
                    block=1,
                    block_size=len(DEMO_FIRST_BLOCK),
                    arm=arms[code],
                )
                for position, code in enumerate(DEMO_FIRST_BLOCK, start=1)
            )
        member = _join(study, first, admin)
        if member is not None and member.randomised_at is None and member.withdrawn_at is None:
            _screen(member, admin)
            if not member.randomisation_problems():
                member.randomise(by=admin)
        _join(study, second, admin)


def _join(study: Study, person: User, admin: User) -> StudyParticipant | None:
    existing = StudyParticipant.objects.filter(participant=person).first()
    if existing is not None:
        return existing if existing.study_id == study.pk else None
    return study.add_participant(person, by=admin)


def _screen(member: StudyParticipant, admin: User) -> None:
    latest = member.latest_eligibility()
    if latest is not None and latest.is_eligible:
        return
    criteria = list(member.study.criteria.all())
    # What the screening interview gave (the HADS is not asked online until its texts are in).
    staff_answers = {
        "age": 47,
        "device": True,
        "pain_duration_months": 36,
        "hads_anxiety": 9,
        "hads_depression": 6,
    }
    results = eligibility.screen(criteria, staff_answers, member.baseline_scores())
    verdict = eligibility.outcome(results)
    if verdict is not None:
        member.record_eligibility(
            by=admin, answers=[result.as_record() for result in results], is_eligible=verdict
        )
