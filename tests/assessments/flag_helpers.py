"""Shared set-up of the risk-flag tests: a baseline with the HADS, and a high HADS sent."""

from __future__ import annotations

from accounts.models import User
from assessments.models import Questionnaire, RiskFlag, TimePoint
from assessments.schedules import seed_default_schedule

# HADS anxiety items giving 12 (a probable case) and 20 (refer); depression stays at 0.
ANXIETY_CASE = {"q1": 1, "q3": 1, "q5": 1, "q7": 1, "q9": 2, "q11": 2, "q13": 1}
ANXIETY_HIGH = {"q1": 0, "q3": 0, "q5": 0, "q7": 3, "q9": 3, "q11": 0, "q13": 1}
NOTE = "Called the participant; booked a visit."


def hads_baseline() -> TimePoint:
    time_point = seed_default_schedule().time_points.get(key="baseline")
    time_point.instruments = ["pain_vas", "hads"]
    time_point.save()
    return time_point


def raise_flag(
    participant: User, time_point: TimePoint, answers: dict[str, int] | None = None
) -> RiskFlag:
    questionnaire, _ = Questionnaire.objects.get_or_create(
        participant=participant, time_point=time_point
    )
    questionnaire.save_answers("pain_vas", {"q1": 50})
    questionnaire.save_answers("hads", answers or ANXIETY_CASE, language="en")
    questionnaire.submit()
    return RiskFlag.objects.filter(participant=participant).latest("pk")
