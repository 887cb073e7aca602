"""The adherence export of a study: long and wide CSV streamed chunk by chunk, the Excel file
made by a worker, the codebook, pseudonymisation, the access log and the permissions."""

from __future__ import annotations

import csv
import gc
import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessLog, User
from modules.models import HomeworkStatus, HomeworkSubmission, Module, ModuleProgress, StepKind
from research.exports_adherence import AdherenceExport, wide_csv
from research.models import DataExport, JobState, Study, StudyParticipant
from research.tasks import build_adherence_export
from tests.factories import make_admin, make_participant
from tests.research.builders import make_study
from tests.therapists.conftest import make_programme

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def programme(db: None) -> list[Module]:
    return make_programme()


@pytest.fixture
def study(site: Any, admin_user: User) -> Study:
    return make_study(site, admin_user, name="Kestrel trial")


@pytest.fixture
def members(
    study: Study, site: Any, admin_user: User, therapist: User, programme: list[Module]
) -> list[User]:
    """Two participants with distinctive names; the first opened and completed module 1 (its
    homework reviewed after 20 hours) and opened module 2."""
    people = []
    for name in ("Philippa", "Bartholomew"):
        person = make_participant(
            site, f"{name.lower()}@test.example", therapist=therapist, first_name=name
        )
        User.objects.filter(pk=person.pk).update(last_name="Pemberton-Quist")
        study.add_participant(person, by=admin_user)
        people.append(person)
    first = people[0]
    ModuleProgress.objects.create(
        participant=first,
        module=programme[0],
        opened_at=NOW - timedelta(days=9),
        completed_at=NOW - timedelta(days=6),
    )
    ModuleProgress.objects.create(
        participant=first, module=programme[1], opened_at=NOW - timedelta(days=2)
    )
    HomeworkSubmission.objects.create(
        participant=first,
        module=programme[0],
        step=programme[0].steps.get(kind=StepKind.HOMEWORK),
        snapshot={},
        submitted_at=NOW - timedelta(days=6),
        status=HomeworkStatus.REVIEWED,
        reviewed_at=NOW - timedelta(days=6) + timedelta(hours=20),
        reviewer=therapist,
    )
    return people


def read(response: Any) -> tuple[str, list[dict[str, str]]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return text, list(csv.DictReader(io.StringIO(text)))


def url(name: str, study: Study) -> str:
    return reverse(f"research:{name}", args=[study.pk])


# --- the data -------------------------------------------------------------------------------------


def test_the_long_format_has_a_row_per_participant_and_module(
    client, admin_user, study, members
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    _text, rows = read(client.get(url("adherence-long-csv", study)))
    assert len(rows) == 2 * 14
    first = [row for row in rows if row["study_id"] == members[0].study_id]
    assert [row["module"] for row in first] == [str(n) for n in range(1, 15)]
    one, two, three = first[:3]
    assert (
        one["opened"],
        one["completed"],
        one["homework_submitted"],
        one["homework_reviewed"],
    ) == ("1", "1", "1", "1")
    assert one["days_to_complete"] == "3" and one["homework_review_hours"] == "20.0"
    assert (two["opened"], two["completed"], two["completed_on"]) == ("1", "0", "")
    assert three["opened"] == "0"
    assert one["site"] == "north" and one["randomised"] == "0" and one["arm"] == ""


def test_the_wide_format_has_a_row_per_participant_with_every_measure(
    client, admin_user, study, members
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    _text, rows = read(client.get(url("adherence-wide-csv", study)))
    assert len(rows) == 2
    first = next(row for row in rows if row["study_id"] == members[0].study_id)
    assert (first["modules_opened"], first["modules_done"]) == ("2", "1")
    assert (first["homework_submitted"], first["homework_reviewed"]) == ("1", "1")
    assert (first["m01_completed"], first["m02_opened"], first["m02_completed"]) == ("1", "1", "0")
    for column in (
        "days_active",
        "messages_from_participant",
        "questionnaires_on_time",
        "visits_attended",
        "therapist_minutes",
        "m14_minutes",
    ):
        assert column in first


def test_the_export_carries_study_ids_only(client, admin_user, study, members) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    for name in ("adherence-long-csv", "adherence-wide-csv", "adherence-codebook"):
        text, _rows = read(client.get(url(name, study)))
        for person in members:
            assert person.email not in text and person.first_name not in text
        assert "Pemberton-Quist" not in text
    _text, rows = read(client.get(url("adherence-wide-csv", study)))
    assert {row["study_id"] for row in rows} == {person.study_id for person in members}
    assert not {"email", "name", "first_name", "last_name"} & set(rows[0])


def test_the_codebook_describes_every_column_of_both_formats(
    client, admin_user, study, members
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    _text, codebook = read(client.get(url("adherence-codebook", study)))
    assert list(codebook[0]) == ["variable", "label", "type", "unit", "allowed values"]
    described = {row["variable"] for row in codebook}
    for name in ("adherence-long-csv", "adherence-wide-csv"):
        _text, rows = read(client.get(url(name, study)))
        assert set(rows[0]) <= described, set(rows[0]) - described
    completed = next(row for row in codebook if row["variable"] == "m03_completed")
    assert completed["type"] == "integer" and completed["allowed values"] == "0 = no, 1 = yes"
    minutes = next(row for row in codebook if row["variable"] == "minutes_in_modules")
    assert minutes["unit"] == "minutes" and minutes["label"]
    assert all(row["label"] and row["type"] for row in codebook)


def test_the_page_lists_the_codebook_without_logging_an_export(
    client, admin_user, study, members
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    page = client.get(url("adherence-export", study)).content.decode()
    assert "m14_homework_reviewed" in page and "questionnaires_on_time" in page
    assert not AccessLog.objects.filter(action="export").exists()


# --- streaming ------------------------------------------------------------------------------------


def _queries_for(client: Any, study: Study, name: str) -> int:
    response = client.get(url(name, study))
    with CaptureQueriesContext(connection) as captured:
        b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("name", ["adherence-long-csv", "adherence-wide-csv"])
def test_the_csv_streams_with_queries_that_grow_with_chunks_not_rows(
    client, admin_user, study, site, programme, settings, name
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)

    def add(count: int) -> None:
        start = StudyParticipant.objects.filter(study=study).count()
        for index in range(start, start + count):
            study.add_participant(make_participant(site, f"s{index}@test.example"), by=admin_user)

    add(4)
    settings.RESEARCH_EXPORT_CHUNK_SIZE = 4
    one_chunk = _queries_for(client, study, name)
    add(4)
    settings.RESEARCH_EXPORT_CHUNK_SIZE = 8
    # Twice the rows in one chunk: the same queries.
    assert _queries_for(client, study, name) == one_chunk
    settings.RESEARCH_EXPORT_CHUNK_SIZE = 4
    two_chunks = _queries_for(client, study, name)
    add(8)
    four_chunks = _queries_for(client, study, name)
    per_chunk = two_chunks - one_chunk
    assert per_chunk > 0 and four_chunks == two_chunks + 2 * per_chunk
    print(f"{name}: {one_chunk} queries for one chunk, {per_chunk} per further chunk")


def _bulk_study(study: Study, site: Any, count: int, offset: int = 0) -> None:
    people = User.objects.bulk_create(
        User(
            email=f"bulk{index}@test.example",
            is_participant=True,
            site=site,
            study_id=f"B{index:07d}",
            consent_version=django_settings.CONSENT_VERSION,
        )
        for index in range(offset, offset + count)
    )
    StudyParticipant.objects.bulk_create(
        StudyParticipant(study=study, participant=person, site=site) for person in people
    )


def _peak_while_streaming(study: Study) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        # The wide format computes every measure and every module (the long one, a subset).
        for _line in wide_csv(AdherenceExport.for_study(study)):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_from_500_to_5000_participants(study, site, programme, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RESEARCH_EXPORT_CHUNK_SIZE = 500
    _bulk_study(study, site, 500)
    small = _peak_while_streaming(study)
    _bulk_study(study, site, 4500, offset=500)
    large = _peak_while_streaming(study)
    print(
        f"peak memory while exporting: {small / 1e6:.1f} MB for 500, {large / 1e6:.1f} MB for 5,000"
    )
    # Ten times the participants, far less than twice the memory.
    assert large < 2 * small


# --- the Excel file -------------------------------------------------------------------------------


def test_asking_for_excel_queues_a_worker_and_logs_the_export(
    client, admin_user, study, members, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("adherence-xlsx", study))
    assert response.status_code == 302
    export = DataExport.objects.get()
    assert (export.study, export.requested_by, export.state) == (
        study,
        admin_user,
        JobState.PENDING,
    )
    assert len(callbacks) == 1
    assert AccessLog.objects.filter(
        action="export", detail=f"study {study.pk} adherence xlsx {export.pk} requested"
    ).exists()
    assert client.get(url("adherence-xlsx", study)).status_code == 405


def test_the_worker_writes_a_readable_workbook_with_three_sheets(
    client, admin_user, study, members
) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    export = DataExport.objects.create(study=study, requested_by=admin_user)
    build_adherence_export(export.pk)
    export.refresh_from_db()
    assert export.state == JobState.READY and export.participants == 2
    # Delivered twice: made once.
    build_adherence_export(export.pk)
    export.refresh_from_db()
    assert export.attempts == 1

    client.force_login(admin_user)
    response = client.get(reverse("research:data-export-download", args=[export.pk]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["wide", "long", "codebook"]
    wide = list(workbook["wide"].values)
    long = list(workbook["long"].values)
    codebook = list(workbook["codebook"].values)
    assert wide[0][0] == "study_id" and len(wide) == 3 and len(long) == 1 + 2 * 14
    assert codebook[0] == ("variable", "label", "type", "unit", "allowed values")
    described = {row[0] for row in codebook[1:]}
    assert set(wide[0]) <= described and set(long[0]) <= described
    cells = " ".join(str(value) for sheet in (wide, long) for row in sheet for value in row)
    for person in members:
        assert person.email not in cells and person.first_name not in cells
    assert (
        AccessLog.objects.filter(
            action="export", detail__endswith=f"xlsx {export.pk} download"
        ).count()
        == 1
    )


def test_an_export_downloads_only_for_the_admin_who_asked(
    client, study, admin_user, site, other_site, therapist
) -> None:  # type: ignore[no-untyped-def]
    export = DataExport.objects.create(study=study, requested_by=admin_user)
    build_adherence_export(export.pk)
    download = reverse("research:data-export-download", args=[export.pk])
    for person in (
        make_admin(site, "colleague@test.example"),
        make_admin(other_site, "south.admin@test.example"),
        therapist,
    ):
        client.force_login(person)
        assert client.get(download).status_code == 404


def test_old_excel_files_are_deleted_by_the_weekly_sweep(
    admin_user, study, members, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from research import tasks

    export = DataExport.objects.create(study=study, requested_by=admin_user)
    build_adherence_export(export.pk)
    export.refresh_from_db()
    name = export.file.name
    storage = export.file.storage
    assert storage.exists(name)
    DataExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(days=30))
    assert tasks.expire_exports(timezone.now()) == 1
    export.refresh_from_db()
    assert export.state == JobState.EXPIRED and not storage.exists(name)


# --- who may export -------------------------------------------------------------------------------

PAGES = ["adherence-export", "adherence-long-csv", "adherence-wide-csv", "adherence-codebook"]


@pytest.mark.parametrize(
    "role", ["participant", "other_participant", "therapist", "other_therapist", "physio"]
)
def test_only_research_admins_export(client, request, role, study) -> None:  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    for name in PAGES:
        assert client.get(url(name, study)).status_code == 404, name
    assert client.post(url("adherence-xlsx", study)).status_code == 404
    assert (
        not DataExport.objects.exists() and not AccessLog.objects.filter(action="export").exists()
    )


def test_an_admin_of_another_site_cannot_export_the_study(client, other_site, study) -> None:  # type: ignore[no-untyped-def]
    client.force_login(make_admin(other_site, "south.admin@test.example"))
    for name in PAGES:
        assert client.get(url(name, study)).status_code == 404, name
    assert client.post(url("adherence-xlsx", study)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, study) -> None:  # type: ignore[no-untyped-def]
    for name in PAGES:
        response = client.get(url(name, study))
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_every_download_is_logged(client, admin_user, study, members) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    for name in ("adherence-long-csv", "adherence-wide-csv", "adherence-codebook"):
        b"".join(client.get(url(name, study)).streaming_content)
    details = sorted(
        AccessLog.objects.filter(action="export", actor=admin_user).values_list("detail", flat=True)
    )
    assert details == [
        f"study {study.pk} adherence codebook csv",
        f"study {study.pk} adherence long csv",
        f"study {study.pk} adherence wide csv",
    ]


@pytest.mark.parametrize("size", [2, 12])
def test_the_export_page_costs_the_same_queries_however_many_exports(
    client, admin_user, study, size, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    DataExport.objects.bulk_create(
        DataExport(study=study, requested_by=admin_user) for _ in range(size)
    )
    client.force_login(admin_user)
    client.get(url("adherence-export", study))
    # 13 since the codebook reads the study's arms once and the schedule not at all (was 15);
    # 7 with the second factor looked up once for the middleware and the decorator.
    with django_assert_num_queries(7):
        client.get(url("adherence-export", study))
