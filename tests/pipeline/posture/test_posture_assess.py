"""`secloop assess` with the posture evaluators merged in: offline, from the saved facts."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secloop.assess import assess
from secloop.inputs import prepare
from secloop.pipeline.posture.practices import EVALUATORS as POSTURE
from secloop.pipeline.posture.store import save
from secloop.practices.catalog import load_catalog
from secloop.practices.registry import EVALUATORS
from secloop.registry import REGISTRY
from secloop.report.formats import FORMATS
from secloop.report.interface import RenderInput

from .conftest import commit, github_snapshot, make_repo


def test_assess_reads_saved_posture_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path / "cache"))

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("assess opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    root = make_repo(tmp_path / "widget")
    commit(root, "Add widget (#1)", datetime.now(tz=UTC) - timedelta(days=1))
    snapshot = github_snapshot(
        protection=(404, "protection_not_protected.json"), hooks=(200, "hooks_insecure.json")
    )
    save(replace(snapshot, fetched_at=datetime.now(tz=UTC)), "github.com")
    result = assess(prepare(root), evaluators={**EVALUATORS, **POSTURE})
    by_id = {r.practice_id: r for r in result.results}
    assert by_id["code.branch-protection"].status.value == "fail"
    assert by_id["pipeline.cicd-sec-8"].status.value == "fail"
    ids = sorted(f.rule_id for f in result.findings if f.rule_id.startswith("POSTURE-"))
    assert ids == [
        "POSTURE-BRANCH-UNPROTECTED",
        "POSTURE-WEBHOOK-INSECURE",
        "POSTURE-WEBHOOK-INSECURE",
        "POSTURE-WEBHOOK-NO-SECRET",
    ]
    data = RenderInput(result, REGISTRY, load_catalog())
    sarif = json.loads(FORMATS["sarif"](data))
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in sarif["runs"]
        for r in run["results"]
        if r["ruleId"].startswith("POSTURE-")
    )
    assert uris[0] == "api.github.com/repos/acme/widget/branches/main/protection"
    assert json.loads(FORMATS["json"](data))["schema"].startswith("secloop.assessment/")
