"""The study's results from live data: results.csv checked row by row against values computed
here, with scipy, from the answers the trial factory entered; and the results page."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from scipy import stats

from accounts.models import AccessLog
from research.results import HEADER
from tests.factories import make_admin
from tests.research.trial_factory import Trial, build_trial

pytestmark = pytest.mark.django_db


def _csv(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == ",".join(HEADER)
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def cast_language() -> str:
    return "en"


@pytest.fixture
def trial(clinic_texts: str, site: Any, admin_user: Any, physio: Any) -> Trial:
    return build_trial(site, admin_user, physio, size=120)


def _expected_scale(trial: Trial, scale: str) -> dict[str, dict[str, float]]:
    changes: dict[str, list[float]] = {}
    out: dict[str, dict[str, float]] = {}
    for arm in ("icbt", "control"):
        pairs = [
            (p.scores["baseline"][scale], p.scores["6m"][scale])
            for p in trial.people
            if p.arm == arm and "6m" in p.scores
        ]
        before = np.array([b for b, _a in pairs])
        after = np.array([a for _b, a in pairs])
        changes[arm] = list(after - before)
        out[arm] = {
            "n": len(pairs),
            "baseline_mean": before.mean(),
            "baseline_sd": before.std(ddof=1),
            "followup_mean": after.mean(),
            "followup_sd": after.std(ddof=1),
            "change_mean": (after - before).mean(),
        }
    welch = stats.ttest_ind(changes["icbt"], changes["control"], equal_var=False)
    interval = welch.confidence_interval(0.95)
    out["icbt"].update(
        diff=np.mean(changes["icbt"]) - np.mean(changes["control"]),
        ci_low=interval.low,
        ci_high=interval.high,
        p=welch.pvalue,
    )
    return out


def _expected_goals(trial: Trial, main: bool) -> dict[str, tuple[int, int]]:
    counts = {}
    for arm in ("icbt", "control"):
        yes = n = 0
        for person in trial.people:
            if person.arm != arm:
                continue
            levels = [
                level
                for kind, _start, level in person.goals
                if (kind == "main") == main and level is not None
            ]
            if levels:
                n += 1
                yes += all(level >= 0 for level in levels)
        counts[arm] = (yes, n)
    return counts


def _close(got: str, expected: float) -> bool:
    return float(got) == pytest.approx(float(expected), rel=1e-7, abs=1e-9)


def test_it_computes_every_row_of_results_csv_as_scipy_does_independently(
    client: Any, admin_user: Any, trial: Trial
) -> None:
    client.force_login(admin_user)
    rows = _csv(client.get(reverse("research:results-csv", args=[trial.study.pk])))
    by_key = {(r["outcome"], r["measure"], r["arm"]): r for r in rows}
    assert len(by_key) == len(rows)
    assert {r["arm"] for r in rows} == {"icbt", "control"}

    checked = 0
    for outcome, measure, scale in (
        ("pain_vas", "pain", "pain"),
        ("hads", "anxiety", "anxiety"),
        ("hads", "depression", "depression"),
    ):
        expected = _expected_scale(trial, scale)
        for arm, values in expected.items():
            row = by_key[(outcome, measure, arm)]
            assert int(row["n"]) == values["n"] and values["n"] >= 40
            for column, value in values.items():
                if column != "n":
                    assert _close(row[column], value), (outcome, measure, arm, column)
                    checked += 1
            if arm == "control":
                assert row["diff"] == row["ci_low"] == row["ci_high"] == row["p"] == ""
    assert checked == 3 * (5 + 5 + 4)
    # The intervention's pain fell more: the difference in change is negative and significant.
    pain = by_key[("pain_vas", "pain", "icbt")]
    assert float(pain["ci_high"]) < 0 and float(pain["p"]) < 0.05

    for measure, main in (("fully_attained_main", True), ("fully_attained_intermediate", False)):
        counts = _expected_goals(trial, main)
        (a, a_n), (c, c_n) = counts["icbt"], counts["control"]
        icbt = by_key[("goal_attainment", measure, "icbt")]
        control = by_key[("goal_attainment", measure, "control")]
        assert (int(icbt["n"]), int(control["n"])) == (a_n, c_n)
        assert _close(icbt["followup_mean"], a / a_n)
        assert _close(control["followup_mean"], c / c_n)
        fisher = stats.fisher_exact([[a, a_n - a], [c, c_n - c]])
        assert _close(icbt["p"], fisher.pvalue)
        assert control["p"] == "" and icbt["baseline_mean"] == ""
    # Every scale with data in the battery has its rows; scales without data have none.
    assert ("pain_locations", "count", "icbt") in by_key
    assert not any(r["outcome"] == "sf36" for r in rows)


def test_the_results_page_shows_the_banner_the_flow_and_the_tables(
    client: Any, clinic_texts: str, site: Any, admin_user: Any, physio: Any
) -> None:
    trial = build_trial(site, admin_user, physio, size=12, seed=3)
    client.force_login(admin_user)
    response = client.get(reverse("research:results", args=[trial.study.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Descriptive monitoring while the study is open." in html
    assert "Randomised" in html and f"<td>{len(trial.people)}</td>" in html
    assert "Fisher" in html and "Welch" in html
    assert response.context["flow"].allocated == len(trial.people)
    assert AccessLog.objects.filter(actor=admin_user, detail__contains="results").exists()


def test_the_results_are_for_the_study_sites_research_admins_only(
    client: Any,
    other_site: Any,
    therapist: Any,
    clinic_texts: str,
    site: Any,
    admin_user: Any,
    physio: Any,
) -> None:
    trial = build_trial(site, admin_user, physio, size=4)
    for user in (make_admin(other_site, "elsewhere@example.org"), therapist):
        client.force_login(user)
        for name in ("research:results", "research:results-csv"):
            assert client.get(reverse(name, args=[trial.study.pk])).status_code in (403, 404)


def test_the_results_cost_the_same_queries_with_more_participants(
    client: Any, clinic_texts: str, site: Any, admin_user: Any, physio: Any
) -> None:
    trial = build_trial(site, admin_user, physio, size=6, seed=1)
    client.force_login(admin_user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("research:results-csv", args=[trial.study.pk]))
            b"".join(response.streaming_content)
        return len(queries)

    count()
    before = count()
    build_trial(site, admin_user, physio, size=10, seed=2, study=trial.study, first=6)
    assert count() == before
