"""Demo physiotherapy for `manage.py seed_demo`: participant@example.org (Sara) has had her first
visit with physio@example.org (Pia) and has two more booked, an activity plan with two
activities and a week of logged activity, a main goal and two intermediate goals (not rated
yet: that happens at follow-up). participant2@example.org (Omar) has his first visit booked.

Safe to run again: visits, the plan, the log and the goals are only created for someone who
has none of them yet."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import User
from physio.activity import local_today
from physio.models import (
    ActivityEntry,
    ActivityPlan,
    Goal,
    GoalKind,
    Intensity,
    PhysioVisit,
    PlannedActivity,
    TargetUnit,
)

PLAN_NOTES = (
    "Gå gärna på förmiddagen, när smärtan brukar vara lägre. En dålig dag är det okej att "
    "korta passen: det viktiga är att komma ut."
)
# (name, times a week, minutes each time, intensity)
ACTIVITIES = [
    ("Rask promenad", 3, 30, Intensity.MODERATE),
    ("Töjningsövningar", 3, 15, Intensity.LIGHT),
]
# (days ago, activity or other name, minutes, intensity)
WEEK_OF_ACTIVITY = [
    (6, "Rask promenad", 30, Intensity.MODERATE),
    (5, "Töjningsövningar", 15, Intensity.LIGHT),
    (4, "Rask promenad", 25, Intensity.MODERATE),
    (3, "Cykling", 20, Intensity.MODERATE),
    (2, "Töjningsövningar", 15, Intensity.LIGHT),
    (1, "Rask promenad", 35, Intensity.MODERATE),
    (0, "Töjningsövningar", 10, Intensity.LIGHT),
]
# (kind, goal, levels -2..+2)
GOALS = [
    (
        GoalKind.MAIN,
        "Kunna gå till jobbet (2 km) tre dagar i veckan",
        (
            "Går inte till jobbet någon dag i veckan.",
            "Går till jobbet en eller två dagar i veckan.",
            "Går till jobbet tre dagar i veckan.",
            "Går till jobbet fyra dagar i veckan.",
            "Går till jobbet alla fem arbetsdagar.",
        ),
    ),
    (
        GoalKind.INTERMEDIATE,
        "Promenera 30 minuter i rask takt utan att behöva stanna",
        (
            "Orkar promenera mindre än 10 minuter.",
            "Promenerar 10 till 20 minuter med pauser.",
            "Promenerar 30 minuter utan paus.",
            "Promenerar 45 minuter utan paus.",
            "Promenerar en timme utan paus.",
        ),
    ),
    (
        GoalKind.INTERMEDIATE,
        "Göra töjningsövningar efter arbetsdagen",
        (
            "Gör inga töjningsövningar.",
            "Gör töjningsövningar en gång i veckan.",
            "Gör töjningsövningar tre gånger i veckan.",
            "Gör töjningsövningar fyra eller fem gånger i veckan.",
            "Gör töjningsövningar varje dag.",
        ),
    ),
]


def _at(participant: User, day: date, hour: int) -> datetime:
    try:
        zone = zoneinfo.ZoneInfo(participant.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(day, time(hour), tzinfo=zone)


def seed_demo_physiotherapy() -> None:
    people = {user.email: user for user in User.objects.filter(email__endswith="@example.org")}
    physio = people.get("physio@example.org")
    sara = people.get("participant@example.org")
    omar = people.get("participant2@example.org")
    if physio is None:
        return
    with transaction.atomic():
        if sara is not None:
            today = local_today(sara)
            _visits(
                sara,
                physio,
                [
                    (today - timedelta(days=14), True),
                    (today + timedelta(days=6), None),
                    (today + timedelta(weeks=10), None),
                ],
            )
            _plan(sara, physio, today)
            _goals(sara, physio)
        if omar is not None:
            _visits(omar, physio, [(local_today(omar) + timedelta(days=3), None)])


def _visits(participant: User, physio: User, days: list[tuple[date, bool | None]]) -> None:
    if PhysioVisit.objects.of(participant).exists():
        return
    PhysioVisit.objects.bulk_create(
        PhysioVisit(
            participant=participant,
            physiotherapist=physio,
            scheduled_at=_at(participant, day, 10),
            attended=attended,
            attendance_recorded_at=_at(participant, day, 11) if attended is not None else None,
            attendance_recorded_by=physio if attended is not None else None,
        )
        for day, attended in days
    )


def _plan(participant: User, physio: User, today: date) -> None:
    plan, created = ActivityPlan.objects.get_or_create(
        participant=participant,
        defaults={
            "target_unit": TargetUnit.MINUTES,
            "target_value": 150,
            "notes": PLAN_NOTES,
            "created_by": physio,
            "updated_by": physio,
        },
    )
    if created:
        PlannedActivity.objects.bulk_create(
            PlannedActivity(
                plan=plan,
                name=name,
                sessions_per_week=sessions,
                minutes_per_session=minutes,
                intensity=intensity,
                position=position,
            )
            for position, (name, sessions, minutes, intensity) in enumerate(ACTIVITIES)
        )
    if ActivityEntry.objects.of(participant).exists():
        return
    planned = {activity.name: activity for activity in plan.activities.all()}
    ActivityEntry.objects.bulk_create(
        ActivityEntry(
            participant=participant,
            planned_activity=planned.get(name),
            name=name,
            performed_on=today - timedelta(days=days_ago),
            minutes=minutes,
            intensity=intensity,
        )
        for days_ago, name, minutes, intensity in WEEK_OF_ACTIVITY
    )


def _goals(participant: User, physio: User) -> None:
    if Goal.objects.of(participant).exists():
        return
    for kind, title, levels in GOALS:
        minus_2, minus_1, expected, plus_1, plus_2 = levels
        Goal.add(
            participant=participant,
            kind=kind,
            by=physio,
            baseline_level=-1,
            title=title,
            level_minus_2=minus_2,
            level_minus_1=minus_1,
            level_0=expected,
            level_plus_1=plus_1,
            level_plus_2=plus_2,
        )
