"""A small programme (14 modules, each a text step and a homework step) and helpers that put a
participant's work into the therapist's queue."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from modules.models import Answer, Enrolment, HomeworkSubmission, Module, Step, StepKind
from tests.factories import make_admin, make_participant, make_physio, make_therapist
from therapists.access import current_therapist_of

SPEC = {
    "diary": "",
    "chart": "",
    "fields": [
        {
            "key": "noticed",
            "type": "long_text",
            "label": "What did you notice?",
            "help": "",
            "max_length": 4000,
        },
        {
            "key": "stress",
            "type": "scale",
            "label": "How stressed were you?",
            "help": "",
            "min": 0,
            "max": 10,
            "min_label": "",
            "max_label": "",
        },
    ],
}
SPEC_SV = {
    **SPEC,
    "fields": [
        {**SPEC["fields"][0], "label": "Vad märkte du?"},
        {**SPEC["fields"][1], "label": "Hur stressad var du?"},
    ],
}


def make_programme(count: int = 14) -> list[Module]:
    modules = []
    for number in range(1, count + 1):
        module = Module.objects.create(
            number=number,
            slug=f"module-{number}",
            texts={
                "en": {"title": f"Module title {number}", "summary": ""},
                "sv": {"title": f"Modultitel {number}", "summary": ""},
            },
        )
        Step.objects.create(
            module=module,
            position=1,
            slug="read",
            kind=StepKind.TEXT,
            texts={
                lang: {"title": "Read", "html": "<p>Text</p>", "html_after": "", "exercise": None}
                for lang in ("en", "sv")
            },
        )
        Step.objects.create(
            module=module,
            position=2,
            slug="homework",
            kind=StepKind.HOMEWORK,
            texts={
                "en": {
                    "title": "This week's homework",
                    "html": "",
                    "html_after": "",
                    "exercise": SPEC,
                },
                "sv": {
                    "title": "Veckans hemuppgift",
                    "html": "",
                    "html_after": "",
                    "exercise": SPEC_SV,
                },
            },
        )
        modules.append(module)
    return modules


def submit_homework(
    participant: User, module: Module, *, noticed: str = "Tension in my shoulders"
) -> HomeworkSubmission:
    """Enrol, make sure the module is open, answer its homework and send it."""
    enrolment = Enrolment.enrol(participant)
    if module.number != 1:
        therapist = current_therapist_of(participant)
        assert therapist is not None
        enrolment.release(module, by=therapist)
    step = module.steps.get(kind=StepKind.HOMEWORK)
    answer = Answer.objects.filter(participant=participant, step=step).first()
    Answer.save_for(
        participant=participant,
        step=step,
        data={"noticed": noticed, "stress": 6},
        base_revision=answer.revision if answer else 0,
    )
    return HomeworkSubmission.submit(participant=participant, step=step)


# The shared cast, reading the platform in English so that these tests can say what they expect
# in the language they are written in (the platform's default is Swedish).


def _english(user: User) -> User:
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def therapist(site: Any) -> User:
    return _english(make_therapist(site, "therapist@test.example"))


@pytest.fixture
def other_therapist(site: Any) -> User:
    return _english(make_therapist(site, "other.therapist@test.example"))


@pytest.fixture
def physio(site: Any) -> User:
    return _english(make_physio(site, "physio@test.example"))


@pytest.fixture
def admin_user(site: Any) -> User:
    return _english(make_admin(site, "admin@test.example"))


@pytest.fixture
def participant(site: Any, therapist: User, physio: User) -> User:
    return _english(
        make_participant(site, "participant@test.example", therapist=therapist, physio=physio)
    )


@pytest.fixture
def other_participant(site: Any, other_therapist: User, physio: User) -> User:
    return _english(
        make_participant(
            site, "other.participant@test.example", therapist=other_therapist, physio=physio
        )
    )


@pytest.fixture
def programme(db: None) -> list[Module]:
    return make_programme()


@pytest.fixture
def homework(participant: User, programme: list[Module]) -> HomeworkSubmission:
    return submit_homework(participant, programme[0])


@pytest.fixture
def other_homework(other_participant: User, programme: list[Module]) -> HomeworkSubmission:
    return submit_homework(other_participant, programme[0])


def login(client: Any, user: User) -> Any:
    client.force_login(user)
    return client


def make_caseload(therapist: User, size: int, programme: list[Module]) -> list[User]:
    """`size` participants in the therapist's caseload, made with bulk_create: every tenth has
    homework waiting, every tenth an unread message, everyone has opened module 1 and most
    have completed it; all joined a month ago, so those without activity are inactive."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from accounts.models import CareAssignment, CareRole
    from modules.models import ModuleProgress
    from therapists.models import Message, Thread

    now = timezone.now()
    joined = now - timedelta(days=30)
    people = User.objects.bulk_create(
        User(
            email=f"bulk{index}@test.example",
            first_name=f"Bulk{index:04d}",
            last_name="Person",
            is_participant=True,
            site_id=therapist.site_id,
            date_joined=joined,
            consent_version=settings.CONSENT_VERSION,
            study_id=f"B{index:07d}",
        )
        for index in range(size)
    )
    CareAssignment.objects.bulk_create(
        CareAssignment(participant=person, staff=therapist, role=CareRole.THERAPIST)
        for person in people
    )
    first = programme[0]
    ModuleProgress.objects.bulk_create(
        ModuleProgress(
            participant=person,
            module=first,
            opened_at=joined,
            completed_at=joined + timedelta(days=2) if index % 3 else None,
        )
        for index, person in enumerate(people)
    )
    homework_step = first.steps.get(kind=StepKind.HOMEWORK)
    HomeworkSubmission.objects.bulk_create(
        HomeworkSubmission(
            participant=person,
            module=first,
            step=homework_step,
            snapshot={"data": {"noticed": "x"}},
            submitted_at=now - timedelta(hours=index),
        )
        for index, person in enumerate(people)
        if index % 10 == 0
    )
    threads = Thread.objects.bulk_create(
        Thread(participant=person, staff=therapist, last_message_at=now)
        for index, person in enumerate(people)
        if index % 10 == 1
    )
    Message.objects.bulk_create(
        Message(thread=thread, sender_id=thread.participant_id, body="Hello", created_at=now)
        for thread in threads
    )
    return people
