"""A two-arm trial with known answers: participants screened and randomised through the models,
pain (VAS) and HADS answered at baseline and 6 months, and goals set and rated at 6 months.
`Trial` keeps what was entered, so a test can compute the expected results on its own."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from accounts.models import Site, User
from assessments.instruments import REGION_KEYS
from assessments.models import Questionnaire
from assessments.schedules import seed_default_schedule
from physio.models import Goal, GoalKind
from research.models import Study
from tests.factories import make_participant
from tests.research.builders import confirm_eligible, make_study

# HADS items printed from the highest score down (the form's layout, restated here so that
# the test's expected scores do not come from the code under test).
HADS_DESCENDING = {1, 3, 5, 6, 8, 10, 11, 13}
HADS_ANXIETY = (1, 3, 5, 7, 9, 11, 13)
HADS_DEPRESSION = (2, 4, 6, 8, 10, 12, 14)
GOAL_TEXTS = {
    "level_minus_2": "Not at all",
    "level_minus_1": "A little",
    "level_0": "As agreed",
    "level_plus_1": "More than agreed",
    "level_plus_2": "Much more than agreed",
}


@dataclass
class Person:
    participant: User
    arm: str
    # time point key -> {"pain": VAS, "anxiety": sum, "depression": sum}; absent if not answered
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    # (kind, baseline level, level at 6 months or None)
    goals: list[tuple[str, int, int | None]] = field(default_factory=list)


@dataclass
class Trial:
    study: Study
    people: list[Person]


def _hads_positions(rng: random.Random) -> tuple[dict[str, int], int, int]:
    """Answers to the 14 items as printed positions, and the anxiety and depression sums."""
    item_scores = {item: rng.randint(0, 2) for item in range(1, 15)}
    positions = {
        f"q{item}": (3 - score if item in HADS_DESCENDING else score)
        for item, score in item_scores.items()
    }
    return (
        positions,
        sum(item_scores[i] for i in HADS_ANXIETY),
        sum(item_scores[i] for i in HADS_DEPRESSION),
    )


def _answer(participant: User, key: str, rng: random.Random, pain: int) -> dict[str, float]:
    time_point = seed_default_schedule().time_points.get(key=key)
    questionnaire, _created = Questionnaire.objects.get_or_create(
        participant=participant, time_point=time_point
    )
    questionnaire.save_answers("pain_locations", {k: 1 for k in REGION_KEYS})
    questionnaire.save_answers("pain_vas", {"q1": pain})
    positions, anxiety, depression = _hads_positions(rng)
    questionnaire.save_answers("hads", positions, language="en")
    questionnaire.submit()
    return {"pain": float(pain), "anxiety": float(anxiety), "depression": float(depression)}


def build_trial(
    site: Site,
    admin: User,
    physio: User,
    *,
    size: int = 120,
    seed: int = 20201105,
    study: Study | None = None,
    first: int = 0,
) -> Trial:
    """`size` participants randomised into the iCBT and control arms; about nine in ten answer
    at 6 months, the iCBT arm with less pain and more goals attained; some rated goals start at
    -1, some at -2, and a few goals are never rated."""
    rng = random.Random(seed)
    study = study or make_study(site, admin)
    people = []
    for index in range(first, first + size):
        participant = make_participant(site, f"trial{index}@example.org")
        member = study.add_participant(participant, by=admin)
        baseline = _answer(participant, "baseline", rng, rng.randint(40, 90))
        confirm_eligible(member, admin)
        arm = member.randomise(by=admin).arm.code
        person = Person(participant, arm, {"baseline": baseline})
        if rng.random() < 0.9:
            drop = rng.randint(5, 35) if arm == "icbt" else rng.randint(-5, 20)
            pain = max(0, min(100, int(baseline["pain"]) - drop))
            person.scores["6m"] = _answer(participant, "6m", rng, pain)
        reach = 0.45 if arm == "icbt" else 0.2
        for kind in (GoalKind.MAIN, GoalKind.INTERMEDIATE, GoalKind.INTERMEDIATE):
            start = rng.choice((-2, -1))
            goal = Goal.add(
                participant=participant,
                kind=kind,
                by=physio,
                baseline_level=start,
                title=f"Goal {kind}",
                **GOAL_TEXTS,
            )
            level: int | None = None
            if "6m" in person.scores and rng.random() < 0.95:
                level = rng.choice((0, 1)) if rng.random() < reach else rng.choice((-2, -1))
                goal.rate(level=-1, by=physio, time_point="visit1")
                goal.rate(level=level, by=physio, time_point="6m")
            person.goals.append((str(kind), start, level))
        people.append(person)
    return Trial(study, people)
