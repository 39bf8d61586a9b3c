"""Acceptance: the demo repository shows all nine stages, honest unknowns, three next steps, stable JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secloop.cli.main import run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("demo") / "shop"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo.py"), str(dest)], check=True, capture_output=True
    )
    return dest


def assess_json(repo: Path, out: Path) -> dict[str, object]:
    with pytest.raises(SystemExit) as info:
        run(["assess", str(repo), "-f", "json", "-o", str(out), "--no-store"])
    assert info.value.code == 1  # the planted problems fail the gate
    data: dict[str, object] = json.loads(out.read_text())
    return data


def test_demo_assessment(demo: Path, tmp_path: Path) -> None:
    first = assess_json(demo, tmp_path / "1.json")
    second = assess_json(demo, tmp_path / "2.json")
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()
    assert first == second

    practices = first["practices"]
    assert isinstance(practices, list)
    stages = [p["stage"] for p in practices]
    assert sorted(set(stages), key=stages.index) == [
        "plan", "code", "build", "test", "deploy", "release", "operate", "monitor", "pipeline",
    ]  # fmt: skip
    unknown = [p for p in practices if p["status"] == "unknown"]
    assert unknown and all(p["summary"] for p in unknown)
    steps = first["next_steps"]
    assert isinstance(steps, list) and len(steps) == 3

    by_id = {p["id"]: p for p in practices}
    pr_rules = {f["rule"] for f in by_id["pipeline.cicd-sec-4"]["findings"]}
    assert "GHA-DANGEROUS-TRIGGER" in pr_rules
    suppressed = [f for p in practices for f in p["findings"] if "suppression" in f]
    assert suppressed and suppressed[0]["suppression"]["kind"] == "inline"
    skipped = first["skipped"]
    assert isinstance(skipped, list) and any(".github/workflows/" in s["path"] for s in skipped)
    assert first["commit"] is not None
