from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from modules.models import DiaryEntry, Enrolment, Module
from tests.modules.helpers import complete_module, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def diary(client, enrolled, therapist):  # type: ignore[no-untyped-def]
    complete_module(enrolled, 1)
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=3), by=therapist)
    client.force_login(enrolled)
    return step(3, "stress-diary")


def add(client, item, **fields):  # type: ignore[no-untyped-def]
    data = {"entry_token": str(fields.pop("token", uuid.uuid4()))}
    data.update({f"a-{key}": value for key, value in fields.items()})
    return client.post(
        reverse("modules:diary-entry-add", args=[3, item.slug]), data, HTTP_HX_REQUEST="true"
    )


def test_diary_entries_are_added_with_their_date(client, enrolled, diary):
    response = add(
        client,
        diary,
        date="2026-03-02",
        situation="Möte på jobbet",
        stress_level="7",
        pain_level="5",
    )
    assert response.status_code == 200 and response["X-Entry-Saved"] == "1"
    entry = DiaryEntry.objects.get(participant=enrolled)
    assert entry.entry_date.isoformat() == "2026-03-02"
    assert entry.data["situation"] == "Möte på jobbet" and entry.data["stress_level"] == 7
    assert entry.content_version == 1
    assert "Möte på jobbet" in response.content.decode()


def test_an_entry_without_a_date_gets_today(client, enrolled, diary):
    from django.utils import timezone

    add(client, diary, stress_level="4")
    assert DiaryEntry.objects.get(participant=enrolled).entry_date == timezone.localdate()


def test_an_entry_sent_twice_is_stored_once(client, diary):
    token = uuid.uuid4()
    add(client, diary, token=token, stress_level="4")
    add(client, diary, token=token, stress_level="4")
    assert DiaryEntry.objects.count() == 1


def test_an_empty_or_invalid_entry_is_refused(client, diary):
    assert add(client, diary).status_code == 400
    assert add(client, diary, date="2026-03-02").status_code == 400
    assert add(client, diary, stress_level="12").status_code == 400
    assert add(client, diary, date="2026-02-30").status_code == 400
    assert add(client, diary, token="not-a-token", stress_level="3").status_code == 400
    assert not DiaryEntry.objects.exists()


def test_the_chart_shows_the_values_over_time_as_text_and_as_a_table(client, diary):
    for day, level in [(2, 6), (3, 8), (4, 3)]:
        add(client, diary, date=f"2026-03-0{day}", stress_level=str(level))
    html = client.get(reverse("modules:step-detail", args=[3, diary.slug])).content.decode()
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count('class="dc-marker"') == 3
    for level in (6, 8, 3):
        assert f'class="dc-value">{level}</text>' in svg
    assert "3 anteckningar. Lägst 3, högst 8, senast 3 av 10." in svg
    table = html.split('<details class="chart-table">', 1)[1].split("</details>", 1)[0]
    assert "<td>2 mars 2026</td><td>6</td>" in table.replace("\n", "")


def test_chart_coordinates_are_not_localised(client, diary):
    for day, level in [(2, 6), (3, 7)]:
        add(client, diary, date=f"2026-03-0{day}", stress_level=str(level))
    html = client.get(reverse("modules:step-detail", args=[3, diary.slug])).content.decode()
    # Coordinates are plain decimals: a Swedish decimal comma would break the SVG.
    circles = [part.split('"')[0] for part in html.split('cx="')[1:]]
    assert len(circles) == 2
    assert all("," not in value and float(value) > 0 for value in circles)


def test_other_steps_do_not_take_diary_entries(client, diary):
    response = client.post(
        reverse("modules:diary-entry-add", args=[3, "my-triggers"]),
        {"entry_token": str(uuid.uuid4()), "a-hardest_trigger": "x"},
    )
    assert response.status_code == 404


def test_without_javascript_an_entry_is_saved_and_the_page_reloads(client, diary):
    response = client.post(
        reverse("modules:diary-entry-add", args=[3, diary.slug]),
        {"entry_token": str(uuid.uuid4()), "a-stress_level": "5"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#diary-{diary.pk}")
    assert DiaryEntry.objects.count() == 1


def test_a_relaxation_log_in_an_exercise_step_takes_entries_and_shows_them(
    client, enrolled, therapist
):
    # From module 6 on, each stage of applied relaxation keeps its log in an exercise step
    # (the homework is the module's own topic), so a diary must work outside the homework.
    complete_module(enrolled, 1)
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=6), by=therapist)
    client.force_login(enrolled)
    log = step(6, "relaxation-log")
    assert log.kind == "exercise" and log.diary == "relaxation"
    page = client.get(reverse("modules:step-detail", args=[6, log.slug]))
    assert page.status_code == 200 and "Din logg för avslappning" in page.content.decode()
    response = client.post(
        reverse("modules:diary-entry-add", args=[6, log.slug]),
        {
            "entry_token": str(uuid.uuid4()),
            "a-date": "2026-03-02",
            "a-method": "release_only",
            "a-tension_before": "7",
            "a-tension_after": "4",
            "a-notes": "Axlarna släppte",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["X-Entry-Saved"] == "1"
    entry = DiaryEntry.objects.get(participant=enrolled, step=log)
    assert entry.data["tension_after"] == 4 and entry.data["method"] == "release_only"


def test_an_entry_sent_again_with_corrected_content_is_stored_corrected(client, enrolled, diary):
    token = uuid.uuid4()
    add(client, diary, token=token, date="2026-03-02", stress_level="4")
    # Back, edit, send: the same page token with what the participant corrected.
    response = add(client, diary, token=token, date="2026-03-03", stress_level="6")
    assert response.status_code == 200 and response["X-Entry-Saved"] == "1"
    entry = DiaryEntry.objects.get(participant=enrolled)
    assert entry.data["stress_level"] == 6
    assert entry.entry_date.isoformat() == "2026-03-03"


def test_an_entry_token_of_another_step_is_refused(client, enrolled, diary):
    from modules.models import Step

    token = uuid.uuid4()
    add(client, diary, token=token, stress_level="4")
    other = Step.objects.exclude(pk=diary.pk).filter(module=diary.module).first()
    assert other is not None
    from datetime import date

    with pytest.raises(ValueError):
        DiaryEntry.add(
            participant=enrolled, step=other, data={}, entry_date=date(2026, 3, 2), token=token
        )
    assert DiaryEntry.objects.get(participant=enrolled).data["stress_level"] == 4
