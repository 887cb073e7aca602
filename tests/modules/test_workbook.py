from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from modules.models import DiaryEntry, Enrolment, Module
from tests.modules.helpers import autosave, complete_module, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def written(client, enrolled, therapist):  # type: ignore[no-untyped-def]
    client.force_login(enrolled)
    autosave(
        client,
        step(1, "starting-point"),
        {"reason": "Jag vill sova bättre och orka mer."},
        revision=0,
    )
    complete_module(enrolled, 1)
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=3), by=therapist)
    DiaryEntry.objects.create(
        participant=enrolled,
        step=step(3, "stress-diary"),
        entry_date="2026-03-04",
        data={"situation": "Brev från Försäkringskassan", "stress_level": 8},
    )
    return enrolled


def test_the_workbook_shows_everything_written_per_module(client, written):
    response = client.get(reverse("modules:workbook"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Jag vill sova bättre och orka mer." in html
    assert "Brev från Försäkringskassan" in html
    assert "8 av 10" in html
    assert html.index("Modul 1:") < html.index("Modul 3:")


def test_the_workbook_pdf_holds_the_participants_text(client, written):
    response = client.get(reverse("modules:workbook-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Jag vill sova bättre och orka mer." in text.replace("\n", " ")
    assert "Brev från Försäkringskassan" in text


def test_the_workbook_holds_only_the_participants_own_text(client, written, other_enrolled):
    client.force_login(other_enrolled)
    autosave(client, step(1, "starting-point"), {"reason": "Någon annans text."}, revision=0)
    client.force_login(written)
    html = client.get(reverse("modules:workbook")).content.decode()
    assert "Någon annans text." not in html
