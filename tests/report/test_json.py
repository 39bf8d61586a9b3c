from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import jsonschema

from secloop.report import json_v1
from secloop.report.interface import RenderInput

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "assessment-v1.json"


def schema() -> dict[str, object]:
    text = resources.files("secloop.report").joinpath("schemas/assessment-v1.schema.json").read_text("utf-8")
    loaded: dict[str, object] = json.loads(text)
    return loaded


def test_json_matches_snapshot(sample_assessment: RenderInput) -> None:
    text = json_v1.render(sample_assessment)
    if os.environ.get("SECLOOP_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text, "utf-8")
    assert text == SNAPSHOT.read_text("utf-8"), (
        "schema change: extend v1 only, then SECLOOP_UPDATE_SNAPSHOTS=1"
    )


def test_json_validates_against_published_schema(sample_assessment: RenderInput) -> None:
    jsonschema.Draft7Validator(schema()).validate(json.loads(json_v1.render(sample_assessment)))


def test_json_is_deterministic(sample_assessment: RenderInput) -> None:
    assert json_v1.render(sample_assessment) == json_v1.render(sample_assessment)


def test_json_fields(sample_assessment: RenderInput) -> None:
    doc = json.loads(json_v1.render(sample_assessment))
    assert doc["schema"] == "secloop.assessment/v1"
    findings = [f for p in doc["practices"] for f in p["findings"]]
    states = {(f["baseline_state"], f["active"], f.get("suppression", {}).get("kind")) for f in findings}
    assert ("new", True, None) in states
    assert ("unchanged", False, None) in states
    assert ("new", False, "inline") in states
    assert ("new", False, "config") in states
    assert doc["gate"]["passed"] is False
    assert {r["id"] for r in doc["rules"]} == {f["rule"] for f in findings}
