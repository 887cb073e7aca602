"""A participant's request of access: everything held about them, in one owner-only file,
recorded in the access log; nothing of anyone else, and no secrets."""

from __future__ import annotations

import json
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AccessLog, User
from modules.models import Answer, Enrolment, Module
from tests.therapists.conftest import make_programme, submit_homework
from therapists.models import ClinicalNote, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def modules(db: None) -> list[Module]:
    return make_programme(2)


def export(person: str, by: str, output: Path) -> dict:  # type: ignore[type-arg]
    call_command("export_participant_data", person, by=by, output=output, stdout=StringIO())
    return json.loads(output.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_export_holds_the_persons_data_and_nothing_of_others(
    tmp_path: Path,
    participant: User,
    other_participant: User,
    therapist: User,
    admin_user: User,
    modules: list[Module],
) -> None:
    submit_homework(participant, modules[0], noticed="Tight jaw in meetings")
    submit_homework(other_participant, modules[0], noticed="Someone else's answer")
    Thread.between(participant=participant, staff=therapist).post(
        sender=participant, body="A question about module one"
    )
    ClinicalNote.objects.create(participant=participant, author=therapist, body="Staff note")
    output = tmp_path / "export.json"
    document = export(participant.study_id, admin_user.email, output)

    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    text = output.read_text(encoding="utf-8")
    assert "Tight jaw in meetings" in text
    assert "A question about module one" in text
    assert "Someone else's answer" not in text
    assert other_participant.email not in text
    data = document["data"]
    assert [row["pk"] for row in data["accounts.user"]] == [participant.pk]
    assert "password" not in data["accounts.user"][0]["fields"]
    assert {row["pk"] for row in data["modules.answer"]} == set(
        Answer.objects.filter(participant=participant).values_list("pk", flat=True)
    )
    assert data["modules.answerrevision"] and data["therapists.message"]
    assert data["modules.enrolment"][0]["pk"] == Enrolment.objects.get(participant=participant).pk
    assert "therapists.clinicalnote" in document["staff_written"]
    assert "mfa.authenticator" not in data
    assert AccessLog.objects.filter(actor=admin_user, subject=participant, action="export").exists()


def test_found_by_email_and_refused_without_a_staff_member_or_over_a_file(
    tmp_path: Path, participant: User, admin_user: User
) -> None:
    output = tmp_path / "by-email.json"
    assert export(participant.email.upper(), admin_user.email, output)["person"]["pk"] == (
        participant.pk
    )
    with pytest.raises(CommandError, match="exists already"):
        export(participant.email, admin_user.email, output)
    with pytest.raises(CommandError, match="not an active staff account"):
        export(participant.email, participant.email, tmp_path / "other.json")
    with pytest.raises(CommandError, match="No one has"):
        export("NOBODY", admin_user.email, tmp_path / "nobody.json")
    assert AccessLog.objects.filter(action="export").count() == 1
