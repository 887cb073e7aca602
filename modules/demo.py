"""Demo progress for `manage.py seed_demo`: participant@example.org midway through the programme
(modules 1 to 3 completed with answers, diary and feedback, module 4 under way) and
participant2@example.org at the start of module 1. Dates are backdated so that the unlock rule
holds: each module opened when the previous one was completed and at least seven days after it
opened. Safe to run again: a participant who already has answers is left as they are."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from modules.loader import MODULE_COUNT
from modules.models import (
    Answer,
    AnswerRevision,
    DiaryEntry,
    Enrolment,
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    Step,
    StepProgress,
    StepVisit,
    homework_snapshot,
)

if TYPE_CHECKING:
    from accounts.models import User

# What Sara (participant@example.org) wrote, step by step. Stored as the answer form stores it.
SARA: dict[tuple[int, str], dict[str, Any]] = {
    (1, "starting-point"): {
        "reason": "Jag har haft ont i hela kroppen i sex år och märker att allt blir värre "
        "när jag är stressad. Jag vill hitta sätt att orka mer i vardagen "
        "och inte bara ta mig igenom dagarna.",
        "stress_now": 7,
        "pain_impact": 6,
        "stress_areas": ["pain", "fatigue", "work", "household"],
        "support": "has_support",
    },
    (1, "goals"): {
        "goal_sign": "Jag har pausat minst fyra dagar i veckan",
        "goal_week": "Jag skulle träffa min syster en gång i veckan och orka laga middag.",
        "goal_obstacle": "Dåliga dagar. Det hjälper att planera pausen på morgonen.",
        "goal_importance": 8,
        "programme_days": ["monday", "wednesday", "saturday"],
        "programme_time": "09:30",
        "note_to_therapist": "Jag är rädd att jag inte ska hinna med när jag har dåliga dagar.",
    },
    (2, "my-stress-reactions"): {
        "body_signs": ["tense_muscles", "more_pain", "shallow_breathing", "exhaustion"],
        "mind_signs": ["worry", "irritable", "poor_focus"],
        "behaviour_signs": ["push_through", "skip_breaks", "screens"],
        "other_signs": "Jag biter ihop käken, särskilt på kvällen.",
    },
    (2, "my-circle"): {
        "situation": "Jag skulle städa inför att familjen kom på middag "
        "och ville att allt skulle vara klart.",
        "stress_to_pain": "Axlarna blev stela och jag fick ont i nacken. "
        "På kvällen värkte hela ryggen.",
        "pain_to_stress": "Jag blev irriterad på mig själv och tänkte att jag aldrig "
        "klarar någonting längre.",
        "circle_frequency": "often",
    },
    (2, "notice-stress-and-pain"): {
        "observations": [
            {
                "date": "",
                "situation": "Möte på Försäkringskassan",
                "stress_level": 8,
                "pain_level": 7,
                "noticed": "Spänd i axlarna",
            },
            {
                "date": "",
                "situation": "Promenad med hunden",
                "stress_level": 3,
                "pain_level": 5,
                "noticed": "Lättare att andas",
            },
            {
                "date": "",
                "situation": "Sov dåligt, mycket att göra",
                "stress_level": 7,
                "pain_level": 8,
                "noticed": "Ont i ryggen hela dagen",
            },
        ],
        "reflection": "Smärtan var värst dagarna efter att jag hade stressat mycket. "
        "Promenaderna hjälper.",
    },
    (3, "my-warning-signs"): {
        "body_signs": "Stela axlar, jag håller andan och får huvudvärk.",
        "thought_signs": "Jag tänker att allt måste bli klart nu och blir lättirriterad.",
        "behaviour_signs": "Jag hoppar över lunchen och svarar kort till min sambo.",
        "earliest_sign": "Jag biter ihop käken",
        "others_notice": "Att jag blir tyst och stressar runt",
    },
    (3, "my-triggers"): {
        "triggers": [
            {"trigger": "Brev från Försäkringskassan", "kind": "outside", "strength": 9},
            {"trigger": "Att jag vill att allt ska vara perfekt", "kind": "inside", "strength": 7},
            {"trigger": "När smärtan ökar på morgonen", "kind": "body", "strength": 8},
        ],
        "hardest_trigger": "Att allt ska vara perfekt",
    },
    (4, "energy-givers-and-takers"): {
        "activities": [
            {"activity": "Promenad med hunden", "effect": "gives", "amount": 7},
            {"activity": "Storhandla", "effect": "takes", "amount": 8},
            {"activity": "Fika med min syster", "effect": "both", "amount": 5},
        ],
        "more_of": "Korta promenader i skogen",
    },
}

SARA_DIARY = [
    # days before today, time, situation, stress, pain, body, thoughts, did, afterwards
    (
        10,
        "08:15",
        "Vaknade med mycket ont",
        6,
        8,
        "Stel i nacken",
        "Det här blir en dålig dag",
        "Tog en varm dusch",
        "Lite bättre",
    ),
    (
        9,
        "14:30",
        "Samtal med chefen om arbetstid",
        8,
        6,
        "Hjärtklappning",
        "Tänk om jag förlorar jobbet",
        "Gick ut en stund",
        "Lugnare efter en timme",
    ),
    (
        8,
        "11:00",
        "Lugn förmiddag hemma",
        3,
        5,
        "Avslappnad",
        "Skönt med tid",
        "Läste en bok",
        "Bra",
    ),
    (
        7,
        "17:45",
        "Middag skulle lagas och barnen bråkade",
        7,
        6,
        "Spänd i käken",
        "Jag hinner inte",
        "Bad om hjälp",
        "Det gick bättre än jag trodde",
    ),
    (
        6,
        "10:00",
        "Promenad med hunden",
        2,
        4,
        "Varm i kroppen",
        "Inga särskilda",
        "Gick långsamt",
        "Piggare",
    ),
    (
        5,
        "15:20",
        "Blankett från Försäkringskassan",
        9,
        7,
        "Tryck över bröstet",
        "Jag klarar inte det här",
        "Lade undan den till imorgon",
        "Orolig på kvällen",
    ),
    (
        4,
        "09:10",
        "Fyllde i blanketten med min sambo",
        5,
        5,
        "Lite spänd",
        "Det gick ju",
        "Tog paus efteråt",
        "Lättad",
    ),
]

FEEDBACK = {
    1: "Hej Sara! Tack för att du har skrivit så tydligt. Dina mål är konkreta och bra. "
    "Att ta en paus varje eftermiddag är en fin start. Hör av dig om en dag känns tung.",
    2: "Vad bra att du har sett hur stress och smärta hänger ihop för dig. "
    "Promenaderna verkar ge dig mycket. Försök gärna att lägga in dem även på stressiga dagar.",
}

OMAR: dict[tuple[int, str], dict[str, Any]] = {
    (1, "starting-point"): {
        "reason": "Min läkare tipsade om programmet. Jag sover dåligt och är trött hela tiden.",
        "stress_now": 6,
        "pain_impact": 7,
        "stress_areas": ["sleep", "pain", "money"],
        "support": "",
    },
}


def seed_demo_progress(
    participant: User, participant2: User, *, reviewer: User | None = None
) -> bool:
    """Give the two demo participants their history. Returns False when the programme has not
    been loaded (run `manage.py load_programme` first)."""
    modules = {m.number: m for m in Module.objects.active() if m.number is not None}
    if len(modules) < MODULE_COUNT:
        return False
    reviewer = reviewer or _therapist_of(participant)
    now = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        if _untouched(participant):
            _seed_sara(participant, modules, now, reviewer)
        if _untouched(participant2):
            _seed_omar(participant2, modules, now)
    return True


def _therapist_of(participant: User) -> User | None:
    # Through the reverse relation only: `modules` does not import the therapists app.
    assignment = participant.care_assignments.filter(
        ended_at__isnull=True, role="therapist"
    ).first()
    return assignment.staff if assignment else None


def _untouched(participant: User) -> bool:
    return not (
        Answer.objects.filter(participant=participant).exists()
        or HomeworkSubmission.objects.filter(participant=participant).exists()
    )


def _enrol(participant: User, at: datetime) -> Enrolment:
    enrolment, _created = Enrolment.objects.update_or_create(
        participant=participant, defaults={"enrolled_at": at, "has_programme": True}
    )
    return enrolment


def _open(participant: User, module: Module, at: datetime) -> ModuleProgress:
    row, _created = ModuleProgress.objects.update_or_create(
        participant=participant, module=module, defaults={"opened_at": at, "first_visited_at": at}
    )
    return row


def _work_through(
    participant: User, steps: list[Step], start: datetime, minutes: int = 3
) -> datetime:
    """Visit and complete `steps` in order from `start`; return the time after the last one."""
    at = start
    for step in steps:
        end = at + timedelta(minutes=minutes)
        StepVisit.objects.create(
            participant=participant, step=step, started_at=at, last_active_at=end
        )
        StepProgress.objects.update_or_create(
            participant=participant,
            step=step,
            defaults={"first_opened_at": at, "completed_at": end},
        )
        at = end + timedelta(seconds=20)
    return at


def _answer(participant: User, step: Step, data: dict[str, Any], at: datetime) -> None:
    answer, _created = Answer.objects.update_or_create(
        participant=participant,
        step=step,
        defaults={
            "data": data,
            "revision": 1,
            "content_version": step.module.version,
            "created_at": at,
            "updated_at": at,
        },
    )
    AnswerRevision.objects.get_or_create(
        answer=answer,
        revision=1,
        accepted=True,
        defaults={
            "data": data,
            "content_version": step.module.version,
            "saved_at": at,
            "source": "autosave",
        },
    )


def _submit(participant: User, step: Step, at: datetime) -> HomeworkSubmission:
    return HomeworkSubmission.objects.create(
        participant=participant,
        module=step.module,
        step=step,
        snapshot=homework_snapshot(participant, step),
        content_version=step.module.version,
        submitted_at=at,
    )


def _steps(module: Module) -> list[Step]:
    return list(Step.objects.active().filter(module=module).order_by("position"))


def _seed_sara(
    participant: User, modules: dict[int, Module], now: datetime, reviewer: User | None
) -> None:
    day = timedelta(days=1)
    enrolled = now - 24 * day
    _enrol(participant, enrolled)
    # (module, opened, homework submitted, reviewed): each opens when the previous one was
    # completed and at least 7 days after the previous one opened.
    plan = [
        (1, enrolled, now - 20 * day, now - 19 * day),
        (2, now - 17 * day, now - 12 * day, now - 11 * day),
        (3, now - 10 * day, now - 3 * day, None),
    ]
    for number, opened, submitted, reviewed in plan:
        module = modules[number]
        row = _open(participant, module, opened)
        steps = _steps(module)
        at = _work_through(participant, steps, opened + timedelta(hours=2))
        for step in steps:
            data = SARA.get((number, step.slug))
            if data is not None:
                if number == 2 and step.slug == "notice-stress-and-pain":
                    data = _dated_rows(data, opened, "observations")
                _answer(participant, step, data, at - timedelta(minutes=5))
        homework = next(s for s in steps if s.is_homework)
        if homework.is_diary:
            _diary(participant, homework, now)
        submission = _submit(participant, homework, submitted)
        if reviewed is not None and reviewer is not None:
            HomeworkSubmission.objects.filter(pk=submission.pk).update(
                status=HomeworkStatus.REVIEWED,
                reviewed_at=reviewed,
                reviewer=reviewer,
                feedback=FEEDBACK[number],
                feedback_read_at=reviewed + timedelta(hours=5),
            )
        ModuleProgress.objects.filter(pk=row.pk).update(completed_at=submitted)
    module = modules[4]
    opened = now - 3 * day
    _open(participant, module, opened)
    steps = _steps(module)
    at = _work_through(participant, steps[:4], opened + timedelta(hours=3))
    exercise = next(s for s in steps if s.slug == "energy-givers-and-takers")
    _work_through(participant, [exercise], at)
    _answer(participant, exercise, SARA[(4, exercise.slug)], at + timedelta(minutes=2))


def _dated_rows(data: dict[str, Any], start: datetime, key: str) -> dict[str, Any]:
    rows = [
        dict(row, date=(start + timedelta(days=2 * index + 1)).date().isoformat())
        for index, row in enumerate(data[key])
    ]
    return {**data, key: rows}


def _diary(participant: User, step: Step, now: datetime) -> None:
    for days, time, situation, stress, pain, body, thoughts, did, afterwards in SARA_DIARY:
        date = (now - timedelta(days=days)).date()
        DiaryEntry.objects.create(
            participant=participant,
            step=step,
            entry_date=date,
            content_version=step.module.version,
            created_at=now - timedelta(days=days) + timedelta(hours=1),
            data={
                "date": date.isoformat(),
                "entry_time": time,
                "situation": situation,
                "stress_level": stress,
                "pain_level": pain,
                "body": body,
                "thoughts": thoughts,
                "what_i_did": did,
                "afterwards": afterwards,
            },
        )


def _seed_omar(participant: User, modules: dict[int, Module], now: datetime) -> None:
    enrolled = now - timedelta(days=2)
    _enrol(participant, enrolled)
    module = modules[1]
    _open(participant, module, enrolled)
    steps = _steps(module)
    at = _work_through(participant, steps[:3], enrolled + timedelta(hours=1))
    exercise = next(s for s in steps if s.slug == "starting-point")
    StepVisit.objects.create(
        participant=participant,
        step=exercise,
        started_at=at,
        last_active_at=at + timedelta(minutes=4),
    )
    StepProgress.objects.update_or_create(
        participant=participant, step=exercise, defaults={"first_opened_at": at}
    )
    _answer(participant, exercise, OMAR[(1, "starting-point")], at + timedelta(minutes=4))
