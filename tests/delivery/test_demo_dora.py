"""The demo repository (scripts/make_demo.py): tags v0.1.0 … v0.5.0, their deployments and INC-1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.delivery import delivery_metrics
from secloop.delivery.practices import EVALUATORS
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from tests.delivery.conftest import at, details, measure

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("demo") / "shop"
    script = ROOT / "scripts" / "make_demo.py"
    subprocess.run([sys.executable, str(script), str(dest)], check=True, capture_output=True)
    return dest


def test_demo_metrics(demo: Path) -> None:
    report = measure(demo)
    # HEAD ("Record production deployments and INC-1") is the newest event: 2026-10-12 14:00.
    assert report.window is not None and report.window.end == at("2026-10-12 14:00")
    # The events file records each release 25 minutes after its tag; those records win over the tags.
    assert [
        (r.deployment.version, r.deployment.time, r.deployment.source.value, r.changes)
        for r in report.deployments
    ] == [
        ("v0.1.0", at("2026-08-11 09:55"), "events", 6),
        ("v0.2.0", at("2026-08-25 10:25"), "events", 4),
        ("v0.3.0", at("2026-09-09 11:25"), "events", 4),
        ("v0.4.0", at("2026-09-23 10:25"), "events", 3),
        ("v0.5.0", at("2026-10-06 09:55"), "events", 3),
    ]
    values = {m.metric.id: (m.metric.value, m.metric.samples, m.metric.tier) for m in report.measures}
    assert values == {
        # 5 deployments in 90 days; 30-day counts (1, 2, 2) have median 2: weekly to monthly.
        "deployment-frequency": (0.39, 5, "high"),
        # 20 commits; the 10th and 11th shortest leads are 145.33 h (08-19 09:05 -> v0.2.0) and 163.42 h
        # (08-04 14:30 -> v0.1.0); the 18th (p90) is 282.67 h (08-13 15:45 -> v0.2.0).
        "lead-time": (154.38, 20, "high"),
        # INC-1 names v0.4.0's sha: 1 of 5 failed.
        "change-failure-rate": (20.0, 5, "high"),
        # INC-1 opened 13:40, resolved 16:40.
        "time-to-restore": (3.0, 1, "high"),
        # v0.4.0 went live 10:25; INC-1 resolved 16:40.
        "failed-deployment-recovery-time": (6.25, 1, "high"),
        # v0.5.0 is a minor release, planned: no rework.
        "rework-rate": (0.0, 5, None),
    }
    assert details(report, "lead-time")["p90_hours"] == 282.67
    assert details(report, "deployment-frequency")["bucket"] == "weekly-to-monthly"
    d = details(report, "change-failure-rate")
    assert (d["rate_7d"], d["rate_14d"], d["rate_30d"], d["unlinked_incidents"]) == (20.0, 20.0, 20.0, None)
    assert report.weekly == (0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1)


def test_demo_panel_for_assess(demo: Path) -> None:
    result = delivery_metrics(Repo(demo), Config())
    assert [m.id for m in result.metrics] == [
        "deployment-frequency",
        "lead-time",
        "change-failure-rate",
        "time-to-restore",
        "failed-deployment-recovery-time",
        "rework-rate",
    ]
    assert (result.reason, result.skipped) == (None, ())


def test_demo_trunk_practice(demo: Path) -> None:
    practice = next(p for p in load_catalog() if p.id == "build.trunk-based")
    result = EVALUATORS["build.trunk-based"](Context(Repo(demo), Config(), practice))
    # 21 direct commits in the 90 days before HEAD (2026-10-12), 64 weekdays: 0.33 a weekday.
    assert (result.status, result.summary) == (
        Status.PARTIAL,
        "the trunk receives 0.33 integrations per weekday, less than daily",
    )
    assert result.evidence[0] == (
        "git: 21 integration(s) to the trunk (main) in the 90 days before 2026-10-12, 64 weekdays: "
        "0.33 per weekday"
    )
