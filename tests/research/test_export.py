from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessLog
from research import exports_outcome
from research.export import Variable, in_blocks
from research.exports_outcome import OutcomeExport
from research.models import StudyParticipant
from tests.research.builders import new_ready_member, submit_time_point
from therapists.adherence import adherence_variables

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def randomised(member, admin_user, participant):  # type: ignore[no-untyped-def]
    member.randomise(by=admin_user)
    submit_time_point(participant, "6m", pain=40)
    return member


def test_one_row_per_participant_and_time_point_with_scores_and_change(
    client, admin_user, randomised, other_member
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    rows = _rows(client.get(reverse("research:export-csv", args=[randomised.study_id])))
    time_points = [tp.key for tp in randomised.study.time_points()]
    assert len(rows) == 2 * len(time_points)
    mine = {
        row["time_point"]: row for row in rows if row["study_id"] == randomised.participant.study_id
    }
    assert (
        mine["baseline"]["pain_vas_pain"] == "60.0"
        and mine["baseline"]["pain_vas_pain_change"] == ""
    )
    assert mine["6m"]["pain_vas_pain"] == "40.0" and mine["6m"]["pain_vas_pain_change"] == "-20.0"
    assert mine["6m"]["completed"] == "1" and mine["6m"]["days_from_randomisation"] == "0"
    assert mine["baseline"]["arm"] == randomised.arm.code
    assert mine["6m"]["site"] == randomised.site.code and mine["6m"]["randomised"] == "1"
    assert mine["6m"]["pain_locations_widespread"] == "1.0"
    theirs = [row for row in rows if row["study_id"] == other_member.participant.study_id]
    assert all(row["arm"] == "" and row["completed"] == "0" for row in theirs)


def test_the_export_carries_study_ids_only(client, admin_user, randomised, participant) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    for name in ("research:export-csv", "research:codebook"):
        response = client.get(reverse(name, args=[randomised.study_id]))
        body = b"".join(response.streaming_content).decode()
        assert participant.email not in body and participant.first_name not in body
    header = _rows(client.get(reverse("research:export-csv", args=[randomised.study_id])))[0].keys()
    assert not {"email", "name", "first_name", "last_name"} & set(header)


def test_every_export_is_logged(client, admin_user, randomised) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    for name in ("research:export-csv", "research:export-xlsx", "research:codebook"):
        response = client.get(reverse(name, args=[randomised.study_id]))
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    logged = AccessLog.objects.filter(action="export", actor=admin_user)
    assert logged.count() == 3
    assert all(entry.subject is None for entry in logged)


def test_the_xlsx_has_data_and_codebook_sheets(client, admin_user, randomised) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    client.force_login(admin_user)
    response = client.get(reverse("research:export-xlsx", args=[randomised.study_id]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["data", "codebook"]
    data = list(workbook["data"].values)
    codebook = list(workbook["codebook"].values)
    assert data[0][:2] == ("study_id", "time_point")
    assert codebook[0] == ("variable", "label", "type", "unit", "allowed values")
    assert {row[0] for row in codebook[1:]} == set(data[0])


def test_the_codebook_describes_every_column(client, admin_user, randomised) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    header = list(_rows(client.get(reverse("research:export-csv", args=[randomised.study_id])))[0])
    codebook = _rows(client.get(reverse("research:codebook", args=[randomised.study_id])))
    assert [row["variable"] for row in codebook] == header
    arm = next(row for row in codebook if row["variable"] == "arm")
    assert "icbt" in arm["allowed values"]
    score = next(row for row in codebook if row["variable"] == "hads_depression")
    assert score["type"] == "number" and score["allowed values"] == "0 to 21"


def test_columns_after_the_keys_come_from_the_column_groups_in_order(
    client, admin_user, randomised, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(exports_outcome, "COLUMNS", [ShoeSize()])
    client.force_login(admin_user)
    rows = _rows(client.get(reverse("research:export-csv", args=[randomised.study_id])))
    assert list(rows[0]) == ["study_id", "time_point", "shoe_size"]
    assert {row["shoe_size"] for row in rows} == {"42"}


class ShoeSize:
    def variables(self, context):  # type: ignore[no-untyped-def]
        return [Variable("shoe_size", "Shoe size", "integer", unit="EU")]

    def load(self, context, members):  # type: ignore[no-untyped-def]
        return lambda member, time_point: {"shoe_size": 42}


def _jit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        (setting,) = cursor.fetchone()
    return str(setting)


class JitSetting:
    """The JIT setting the chunk's queries were planned with."""

    def variables(self, context):  # type: ignore[no-untyped-def]
        return [Variable("jit", "PostgreSQL's jit setting while loading", "string")]

    def load(self, context, members):  # type: ignore[no-untyped-def]
        setting = _jit()
        return lambda member, time_point: {"jit": setting}


@pytest.mark.django_db(transaction=True)
def test_exports_and_every_other_query_are_planned_without_jit_compilation_on_postgresql(
    study, site, admin_user, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's")
    settings.RESEARCH_EXPORT_CHUNK_SIZE = 2
    for i in range(3):
        new_ready_member(study, site, admin_user, f"j{i}@test.example")
    monkeypatch.setattr(exports_outcome, "COLUMNS", [JitSetting()])
    rows = list(OutcomeExport.for_study(study).table("data").rows())
    assert rows and {row[-1] for row in rows} == {"off"}
    assert _jit() == "off"


def test_a_download_is_sent_in_pieces_of_many_rows() -> None:
    lines = ["row,x\n"] * 1000  # 6 characters each
    pieces = list(in_blocks(iter(lines), size=100))
    assert "".join(pieces) == "".join(lines)
    # 17 lines (102 characters) a piece, the rest in the last one.
    assert [len(piece) for piece in pieces] == [102] * 58 + [6 * 14]


def test_the_export_reads_a_fixed_number_of_queries_per_chunk(
    study, site, admin_user, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RESEARCH_EXPORT_CHUNK_SIZE = 100
    for i in range(2):
        new_ready_member(study, site, admin_user, f"x{i}@test.example").randomise(by=admin_user)
    with CaptureQueriesContext(connection) as small:
        small_rows = list(OutcomeExport.for_study(study).table("data").rows())
    for i in range(2, 8):
        new_ready_member(study, site, admin_user, f"x{i}@test.example").randomise(by=admin_user)
    with CaptureQueriesContext(connection) as large:
        large_rows = list(OutcomeExport.for_study(study).table("data").rows())
    assert len(large_rows) == 4 * len(small_rows)
    assert len(small) == len(large)
    print(f"export: {len(large)} queries for one chunk")


# A further chunk of the outcome export: the participants' measures, their days of activity,
# the people and their questionnaires and time points (the schedule), the scores and the goals.
QUERIES_PER_CHUNK = 7


def test_the_export_s_queries_grow_with_chunks_not_with_participants(
    study, site, admin_user, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RESEARCH_EXPORT_CHUNK_SIZE = 2

    def queries_for(count: int) -> int:
        for i in range(StudyParticipant.objects.filter(study=study).count(), count):
            new_ready_member(study, site, admin_user, f"c{i}@test.example").randomise(by=admin_user)
        with CaptureQueriesContext(connection) as captured:
            rows = list(OutcomeExport.for_study(study).table("data").rows())
        assert len(rows) == count * len(study.time_points())
        return len(captured)

    one_chunk, two_chunks, four_chunks = queries_for(2), queries_for(4), queries_for(8)
    per_chunk = two_chunks - one_chunk
    assert four_chunks == two_chunks + 2 * per_chunk
    assert per_chunk == QUERIES_PER_CHUNK


def test_adherence_columns_follow_therapists_adherence(client, admin_user, randomised) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    header = list(_rows(client.get(reverse("research:export-csv", args=[randomised.study_id])))[0])
    measures = [f"adherence_{measure.key}" for measure in adherence_variables()]
    assert measures and all(column in header for column in measures)


def test_the_export_page_lists_the_codebook(client, admin_user, randomised) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    page = client.get(reverse("research:export", args=[randomised.study_id])).content.decode()
    assert "pain_vas_pain_change" in page
    assert not AccessLog.objects.filter(action="export").exists()  # looking is not exporting
