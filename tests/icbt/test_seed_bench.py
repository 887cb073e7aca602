"""The benchmark's data set (manage.py seed_bench) at a small size: what `make bench` measures
must be a coherent platform state, not rows the pages would trip over."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from assessments.models import InstrumentResponse, Questionnaire
from icbt.management.commands.seed_bench import (
    ADMIN_EMAIL,
    caseload_sizes,
    participant_email,
    therapist_email,
)
from modules.models import Answer, AnswerRevision, Enrolment, Module, ModuleProgress
from research.models import Study, StudyParticipant
from therapists.access import caseload_of
from therapists.models import Thread

pytestmark = pytest.mark.django_db


def test_caseloads_are_a_thousand_and_a_hundred_with_the_rest_shared() -> None:
    sizes = caseload_sizes(2_000, 20)
    assert sizes[:2] == [1_000, 100]
    assert set(sizes[2:]) == {50}
    assert sum(sizes) == 2_000
    for participants, therapists in ((20, 3), (200, 20), (7, 2), (5, 1)):
        assert sum(caseload_sizes(participants, therapists)) == participants
        assert len(caseload_sizes(participants, therapists)) == therapists


def test_a_small_bench_population_is_coherent_and_its_pages_open() -> None:
    call_command("load_programme", stdout=StringIO())
    call_command("seed_bench", "--participants", "20", "--therapists", "3", stdout=StringIO())

    people = User.objects.filter(email__startswith="bench.p")
    assert people.count() == 20
    assert all(not person.needs_consent() for person in people)
    sizes = caseload_sizes(20, 3)
    for index, size in enumerate(sizes):
        assert caseload_of(User.objects.get(email=therapist_email(index))).count() == size
    staff = User.objects.filter(email__in=[therapist_email(i) for i in range(3)] + [ADMIN_EMAIL])
    assert Authenticator.objects.filter(user__in=staff, type=Authenticator.Type.TOTP).count() == 4

    modules = list(Module.objects.active())
    now = timezone.now()
    for person in people:
        enrolment = Enrolment.objects.get(participant=person)
        rows = enrolment.progress_rows()
        # The seeded history follows the unlock rule: nothing more is due, module 1 is open.
        assert enrolment.due_openings(modules, rows, now) == {}
        assert rows[0].opened_at is not None
        assert Thread.objects.filter(participant=person).count() == 1
    # Every stage of the programme is represented, up to all modules completed.
    completed = {
        ModuleProgress.objects.filter(participant=person, completed_at__isnull=False).count()
        for person in people
    }
    assert {0, len(modules)} <= completed
    for answer in Answer.objects.filter(participant__in=people):
        history = AnswerRevision.objects.filter(answer=answer).order_by("revision")
        assert [row.revision for row in history] == list(range(1, answer.revision + 1))
        assert history.last().data == answer.data  # type: ignore[union-attr]
    questionnaires = Questionnaire.objects.filter(
        participant__in=people, submitted_at__isnull=False
    )
    assert questionnaires.count() == 20
    assert not InstrumentResponse.objects.filter(questionnaire__in=questionnaires, scores=None)

    client = Client()
    client.force_login(User.objects.get(email=participant_email(5)))
    for url in ("/", "/programme/1/", "/programme/1/starting-point/", "/messages/"):
        assert client.get(url).status_code == 200, url

    therapist = Client()
    therapist.force_login(User.objects.get(email=therapist_email(0)))
    page = therapist.get("/care/")
    assert page.status_code == 200
    assert page.context["total"] > 0


def test_export_studies_have_the_requested_sizes() -> None:
    call_command("load_programme", stdout=StringIO())
    call_command("seed_bench", "--exports", "3,12", stdout=StringIO())
    for size in (3, 12):
        study = Study.objects.get(name=f"Bench export {size}")
        assert StudyParticipant.objects.filter(study=study).count() == size
        assert (
            ModuleProgress.objects.filter(
                participant__study_participation__study=study, opened_at__isnull=False
            ).count()
            == size + size // 2
        )
