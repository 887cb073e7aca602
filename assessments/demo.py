"""Demo questionnaires for `manage.py seed_demo` (safe to run again).

participant@example.org has answered the baseline questionnaire (plausible answers for someone
with chronic widespread pain, scored, with one HADS flag for the therapist to handle); the
6-month questionnaire is not open yet. participant2@example.org has the baseline to do.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import User
from assessments.models import Questionnaire, TimePoint
from assessments.schedules import seed_default_schedule

PAIN_REGIONS = {
    "neck",
    "shoulder_left",
    "shoulder_right",
    "upper_arm_left",
    "upper_back",
    "lower_back",
    "hip_left",
    "hip_right",
    "upper_leg_left",
    "upper_leg_right",
    "lower_leg_right",
}

BASELINE_ANSWERS: dict[str, dict[str, Any]] = {
    "pain_vas": {"q1": 64},
    "fatigue_vas": {"q1": 72},
    # Positions as printed (0-3); anxiety scores 12 (a probable case), depression 8.
    "hads": {
        "q1": 1,
        "q2": 1,
        "q3": 1,
        "q4": 1,
        "q5": 1,
        "q6": 2,
        "q7": 1,
        "q8": 1,
        "q9": 2,
        "q10": 2,
        "q11": 2,
        "q12": 1,
        "q13": 1,
        "q14": 1,
    },
    "pss10": {f"q{n}": v for n, v in enumerate([3, 2, 3, 1, 2, 3, 2, 1, 3, 2], start=1)},
    "mfi20": {
        f"q{n}": v
        for n, v in enumerate([4, 2, 4, 3, 1, 4, 4, 5, 3, 2, 4, 5, 2, 1, 3, 2, 2, 3, 2, 4], start=1)
    },
    "fiqr": {
        f"q{n}": v
        for n, v in enumerate(
            [4, 5, 6, 3, 5, 4, 6, 5, 7, 6, 5, 7, 8, 6, 7, 5, 6, 6, 4, 5, 7], start=1
        )
    },
    "rand36": {
        f"q{n}": v
        for n, v in enumerate(
            [
                4,
                3,
                1,
                2,
                2,
                1,
                2,
                2,
                1,
                2,
                3,
                3,
                1,
                1,
                1,
                2,
                2,
                1,
                2,
                3,
                5,
                4,
                5,
                4,
                5,
                4,
                5,
                4,
                2,
                4,
                2,
                3,
                3,
                4,
                2,
                4,
            ],
            start=1,
        )
    },
    "ltpai": {"q1": 4, "q2": 2, "q3": 0.5, "q4": 0},
}


def baseline_answers() -> dict[str, dict[str, Any]]:
    from assessments.instruments import REGION_KEYS

    answers = dict(BASELINE_ANSWERS)
    answers["pain_locations"] = {key: int(key in PAIN_REGIONS) for key in REGION_KEYS}
    return answers


def seed_demo_assessments() -> None:
    with transaction.atomic():
        schedule = seed_default_schedule()
        baseline = TimePoint.objects.filter(schedule=schedule, key="baseline").first()
        participant = User.objects.filter(email="participant@example.org").first()
        if baseline is None or participant is None:
            return
        questionnaire, _created = Questionnaire.objects.get_or_create(
            participant=participant, time_point=baseline
        )
        if questionnaire.is_submitted:
            return
        answers = baseline_answers()
        for code in baseline.instruments:
            if code in answers:
                questionnaire.save_answers(code, answers[code], language="en")
        questionnaire.submit()
