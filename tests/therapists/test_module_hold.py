"""Holding a module back from the patient overview, and letting it open again: the participant
cannot open a held module, even when the programme's rule says it is due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, User
from modules.models import Enrolment, Module, ModuleProgress

pytestmark = pytest.mark.django_db


def _overview(participant: User) -> str:
    return reverse("therapists:overview", args=[participant.pk])


def _hold(participant: User, number: int = 2) -> str:
    return reverse("therapists:hold-module", args=[participant.pk, number])


def _lift(participant: User, number: int = 2) -> str:
    return reverse("therapists:lift-module-hold", args=[participant.pk, number])


def _make_module_2_due(participant: User, programme: list[Module]) -> Enrolment:
    """Module 1 opened a month ago and finished: by the rule module 2 is due, but it has not
    opened yet because the participant has not come back since."""
    enrolment = Enrolment.enrol(participant)
    long_ago = timezone.now() - timedelta(days=30)
    ModuleProgress.objects.filter(participant=participant, module=programme[0]).update(
        opened_at=long_ago, completed_at=long_ago + timedelta(days=1)
    )
    due = enrolment.due_openings(programme, enrolment.progress_rows(), timezone.now())
    assert programme[1].pk in due
    return enrolment


def test_a_therapist_holds_a_due_module_and_the_participant_cannot_open_it_until_lifted(
    client: Any, therapist: User, participant: User, programme: list[Module]
) -> None:
    _make_module_2_due(participant, programme)
    client.force_login(therapist)
    html = client.get(_overview(participant)).content.decode()
    assert _hold(participant) in html and "Hold module 2 back" in html

    response = client.post(_hold(participant), follow=True)
    assert response.redirect_chain[-1][0] == _overview(participant) + "#programme"
    html = response.content.decode()
    assert "Module 2 is held back: it will not open until you let it." in html
    assert "Held back" in html and _lift(participant) in html
    row = ModuleProgress.objects.get(participant=participant, module=programme[1])
    assert row.is_held and row.held_by == therapist and row.opened_at is None
    assert AccessLog.objects.filter(
        actor=therapist, subject=participant, action="module-hold", detail="module 2"
    ).exists()

    participant_client = Client()
    participant_client.force_login(participant)
    assert participant_client.get(reverse("modules:module-detail", args=[2])).status_code == 404
    listing = participant_client.get(reverse("modules:overview")).content.decode()
    assert "Your therapist will open this module." in listing
    assert not ModuleProgress.objects.get(pk=row.pk).is_open

    response = client.post(_lift(participant), follow=True)
    assert "Module 2 is no longer held back" in response.content.decode()
    assert AccessLog.objects.filter(
        actor=therapist, subject=participant, action="module-hold-lifted", detail="module 2"
    ).exists()

    assert participant_client.get(reverse("modules:module-detail", args=[2])).status_code == 200
    assert ModuleProgress.objects.get(pk=row.pk).is_open


def test_a_module_that_is_open_already_cannot_be_held_back(
    client: Any, therapist: User, participant: User, programme: list[Module]
) -> None:
    Enrolment.enrol(participant)
    client.force_login(therapist)
    response = client.post(_hold(participant, 1), follow=True)
    assert "Module 1 is open already and cannot be held back." in response.content.decode()
    row = ModuleProgress.objects.get(participant=participant, module=programme[0])
    assert row.held_at is None and row.is_open


def test_another_therapists_participant_is_a_404_and_nothing_is_held(
    client: Any,
    therapist: User,
    other_participant: User,
    programme: list[Module],
) -> None:
    _make_module_2_due(other_participant, programme)
    client.force_login(therapist)
    assert client.post(_hold(other_participant)).status_code == 404
    assert client.post(_lift(other_participant)).status_code == 404
    assert not ModuleProgress.objects.filter(
        participant=other_participant, held_at__isnull=False
    ).exists()


def test_a_participant_cannot_hold_or_lift_a_module(
    client: Any, participant: User, programme: list[Module]
) -> None:
    _make_module_2_due(participant, programme)
    client.force_login(participant)
    assert client.post(_hold(participant)).status_code == 404
    assert client.post(_lift(participant)).status_code == 404
    assert not ModuleProgress.objects.filter(
        participant=participant, held_at__isnull=False
    ).exists()
    assert client.get(reverse("modules:module-detail", args=[2])).status_code == 200


def test_holding_takes_a_post_with_the_csrf_token(
    therapist: User, participant: User, programme: list[Module]
) -> None:
    _make_module_2_due(participant, programme)
    client = Client(enforce_csrf_checks=True)
    client.force_login(therapist)
    assert client.get(_hold(participant)).status_code == 405
    assert client.post(_hold(participant)).status_code == 403
    assert not ModuleProgress.objects.filter(
        participant=participant, held_at__isnull=False
    ).exists()


def test_no_module_can_be_held_for_a_study_arm_without_the_programme(
    client: Any, therapist: User, participant: User, programme: list[Module]
) -> None:
    Enrolment.enrol(participant, has_programme=False)
    client.force_login(therapist)
    assert _hold(participant) not in client.get(_overview(participant)).content.decode()
    assert client.post(_hold(participant)).status_code == 404


def test_the_hold_buttons_speak_swedish(
    client: Any, therapist: User, participant: User, programme: list[Module]
) -> None:
    _make_module_2_due(participant, programme)
    therapist.language = "sv"
    therapist.save(update_fields=["language"])
    client.force_login(therapist)
    assert "Pausa modul 2" in client.get(_overview(participant)).content.decode()
    response = client.post(_hold(participant), follow=True)
    html = response.content.decode()
    assert "Modul 2 är pausad" in html and "Häv pausen för modul 2" in html
