from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from research import audit
from research.models import Allocation, ResearchError
from tests.research.builders import new_ready_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def randomised(study, site, admin_user):  # type: ignore[no-untyped-def]
    members = [new_ready_member(study, site, admin_user, f"a{i}@test.example") for i in range(5)]
    for member in members:
        member.randomise(by=admin_user)
    return members


def test_the_sequence_cannot_be_audited_while_the_study_is_open(
    client, admin_user, study, randomised
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    assert client.get(reverse("research:audit", args=[study.pk])).status_code == 404
    assert client.get(reverse("research:audit-csv", args=[study.pk])).status_code == 404
    with pytest.raises(ResearchError):
        list(audit.sequence_rows(study))
    assert (
        "/audit/"
        not in client.get(reverse("research:study-detail", args=[study.pk])).content.decode()
    )


def test_a_closed_study_shows_the_whole_sequence_and_each_assignment(
    client, admin_user, study, randomised
) -> None:  # type: ignore[no-untyped-def]
    study.close(by=admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("research:audit", args=[study.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    for member in randomised:
        assert member.participant.study_id in body
    response = client.get(reverse("research:audit-csv", args=[study.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == Allocation.sequence.filter(study=study).count()
    assigned = [row for row in rows if row["study_id"]]
    assert len(assigned) == 5
    assert all(row["assigned_by"] == str(admin_user.pk) and row["assigned_at"] for row in assigned)
    # Places were assigned in order, first place first.
    assert [row["position"] for row in assigned] == ["1", "2", "3", "4", "5"]
    assert AccessLog.objects.filter(action="export", detail__contains="sequence").exists()


def test_the_summary_counts_each_arm_per_stratum(admin_user, study, randomised, site) -> None:  # type: ignore[no-untyped-def]
    study.close(by=admin_user)
    (summary,) = audit.summaries(study, ["icbt", "control"])
    assert summary.stratum == f"site={site.code}" and summary.assigned == 5
    assert sum(summary.assigned_per_arm.values()) == 5
