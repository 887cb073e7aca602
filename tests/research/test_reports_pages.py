"""The reports page: who sees which report, downloads, making a report again, and the cost of
the list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import AccessLog, User
from research.models import JobState, Report, ReportKind, Study
from research.reports import last_complete_week
from tests.factories import make_admin, make_therapist
from tests.research.builders import make_study

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def ready(report: Report) -> Report:
    report.file.save(f"report-{report.pk}.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    report.state = JobState.READY
    report.save()
    return report


def caseload_report(therapist: User, week: date = WEEK) -> Report:
    return ready(
        Report.objects.create(
            kind=ReportKind.THERAPIST,
            therapist=therapist,
            period_start=week,
            period_end=week + timedelta(days=6),
        )
    )


def study_report(study: Study, week: date = WEEK) -> Report:
    return ready(
        Report.objects.create(
            kind=ReportKind.STUDY,
            study=study,
            period_start=week,
            period_end=week + timedelta(days=6),
        )
    )


@pytest.fixture
def study(site: Any, admin_user: User) -> Study:
    return make_study(site, admin_user, name="Heronsgate trial")


@pytest.fixture
def mine(therapist: User) -> Report:
    return caseload_report(therapist)


@pytest.fixture
def theirs(study: Study) -> Report:
    return study_report(study)


def downloads(report: Report) -> str:
    return reverse("research:report-download", args=[report.pk])


# --- the list -------------------------------------------------------------------------------------


def test_a_therapist_sees_their_own_caseload_reports_only(
    client, therapist, other_therapist, mine, theirs
) -> None:  # type: ignore[no-untyped-def]
    caseload_report(other_therapist)
    client.force_login(therapist)
    response = client.get(reverse("research:reports"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["reports"]] == [mine.pk]
    assert downloads(mine) in response.content.decode()
    assert "Heronsgate trial" not in response.content.decode()


def test_an_admin_sees_the_reports_of_their_studies_only(
    client, admin_user, other_site, mine, theirs
) -> None:  # type: ignore[no-untyped-def]
    elsewhere = make_study(
        other_site, make_admin(other_site, "south.admin@test.example"), name="Far away"
    )
    study_report(elsewhere)
    client.force_login(admin_user)
    response = client.get(reverse("research:reports"))
    assert [r.pk for r in response.context["reports"]] == [theirs.pk]


@pytest.mark.parametrize("role", ["participant", "other_participant", "physio"])
def test_people_who_read_no_reports_do_not_find_the_page(
    client, request, role, mine, theirs
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("research:reports")).status_code == 404
    for report in (mine, theirs):
        assert client.get(downloads(report)).status_code == 404
        assert (
            client.post(reverse("research:report-regenerate", args=[report.pk])).status_code == 404
        )
    assert (
        client.post(reverse("research:report-request"), {"report": "caseload"}).status_code == 404
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, mine) -> None:  # type: ignore[no-untyped-def]
    for url in (reverse("research:reports"), downloads(mine)):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- downloads ------------------------------------------------------------------------------------


def test_the_own_therapist_downloads_the_pdf_and_it_is_logged(client, therapist, mine) -> None:  # type: ignore[no-untyped-def]
    client.force_login(therapist)
    response = client.get(downloads(mine))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    assert 'filename="adherence-report-therapist-2026-W10.pdf"' in response["Content-Disposition"]
    entry = AccessLog.objects.get(action="export", actor=therapist)
    assert entry.detail == f"report {mine.pk} pdf" and entry.subject is None


@pytest.mark.parametrize(
    ("reader", "report", "status"),
    [
        ("therapist", "theirs", 404),
        ("other_therapist", "mine", 404),
        ("admin_user", "mine", 404),
        ("admin_user", "theirs", 200),
    ],
)
def test_a_report_downloads_only_for_its_readers(client, request, reader, report, status) -> None:  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(reader))
    assert client.get(downloads(request.getfixturevalue(report))).status_code == status


def test_an_admin_of_another_site_cannot_download_a_study_report(
    client, other_site, theirs
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(make_admin(other_site, "south.admin@test.example"))
    assert client.get(downloads(theirs)).status_code == 404


def test_a_report_not_made_yet_has_nothing_to_download(client, therapist, mine) -> None:  # type: ignore[no-untyped-def]
    Report.objects.filter(pk=mine.pk).update(state=JobState.PENDING)
    client.force_login(therapist)
    assert client.get(downloads(mine)).status_code == 404


# --- making a report ------------------------------------------------------------------------------


def test_making_a_report_again_queues_the_task_after_commit(
    client, therapist, mine, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(therapist)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("research:report-regenerate", args=[mine.pk]))
    assert response.status_code == 302
    assert len(callbacks) == 1
    mine.refresh_from_db()
    assert mine.state == JobState.PENDING and mine.requested_by == therapist
    assert client.get(reverse("research:report-regenerate", args=[mine.pk])).status_code == 405


def test_another_therapist_cannot_make_my_report_again(client, other_therapist, mine) -> None:  # type: ignore[no-untyped-def]
    client.force_login(other_therapist)
    assert client.post(reverse("research:report-regenerate", args=[mine.pk])).status_code == 404
    mine.refresh_from_db()
    assert mine.state == JobState.READY


def test_a_report_being_made_is_not_queued_twice(
    client, therapist, mine, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    Report.objects.filter(pk=mine.pk).update(state=JobState.RUNNING, started_at=timezone.now())
    client.force_login(therapist)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("research:report-regenerate", args=[mine.pk]))
    assert callbacks == []


def test_a_therapist_asks_for_the_report_on_their_caseload(
    client, therapist, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(therapist)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("research:report-request"), {"report": "caseload"})
    report = Report.objects.get()
    assert (report.kind, report.therapist, report.period_start) == (
        ReportKind.THERAPIST,
        therapist,
        last_complete_week()[0],
    )
    assert len(callbacks) == 1


def test_an_admin_asks_only_for_reports_on_studies_they_see(
    client, admin_user, study, other_site, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    elsewhere = make_study(other_site, make_admin(other_site, "south.admin@test.example"))
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("research:report-request"), {"report": f"study-{elsewhere.pk}"})
        client.post(reverse("research:report-request"), {"report": "caseload"})
    assert not Report.objects.exists() and callbacks == []
    client.post(reverse("research:report-request"), {"report": f"study-{study.pk}"})
    assert Report.objects.get().study == study


# --- the cost of the list -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_costs_the_same_queries_however_many_reports(
    client, therapist, admin_user, site, count, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    both = make_therapist(site, "both@test.example")
    both.is_research_admin = True
    both.save(update_fields=["is_research_admin"])
    study = make_study(site, admin_user)
    for index in range(count):
        week = WEEK - timedelta(weeks=index)
        caseload_report(both, week)
        study_report(study, week)
    client.force_login(both)
    client.get(reverse("research:reports"))  # the session's first request settles its own rows
    # 6: the second factor is looked up once for the middleware and the decorator.
    with django_assert_num_queries(6):
        response = client.get(reverse("research:reports"))
    assert response.status_code == 200
    assert len(response.context["reports"]) == min(25, 2 * count)


def test_htmx_gets_only_the_rows(client, therapist, mine) -> None:  # type: ignore[no-untyped-def]
    client.force_login(therapist)
    response = client.get(reverse("research:reports"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="report-rows"') and "<html" not in body
