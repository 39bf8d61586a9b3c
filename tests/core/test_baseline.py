from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.core.baseline import Baseline, dump_baseline, load_baseline, write_atomic
from secloop.core.enums import Confidence, Severity
from secloop.core.errors import InputError
from secloop.core.model import Finding, Location


def f(fp: str, path: str = "a.py") -> Finding:
    return Finding("R", Severity.LOW, Confidence.LOW, "m", (Location(path, 1),), fp)


def test_roundtrip_sorted_and_deduplicated(tmp_path: Path) -> None:
    baseline = Baseline.from_findings([f("2", "b.py"), f("1"), f("1")])
    path = tmp_path / "x" / "baseline.json"
    write_atomic(path, dump_baseline(baseline))
    loaded = load_baseline(path)
    assert loaded == baseline
    assert [e.fingerprint for e in baseline.entries] == ["1", "2"]
    assert json.loads(path.read_text())["schema"] == "secloop.baseline/v1"


def test_absent_baseline_is_none(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "none.json") is None


def test_malformed_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{\n  "schema": "secloop.baseline/v1",\n  "findings": [,]\n}\n')
    with pytest.raises(InputError) as info:
        load_baseline(path)
    assert info.value.place is not None and info.value.place.line == 3


def test_wrong_schema(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"schema": "other"}')
    with pytest.raises(InputError, match="not a secloop baseline"):
        load_baseline(path)


def test_entry_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"schema": "secloop.baseline/v1", "findings": [{"rule": "R"}]}')
    with pytest.raises(InputError, match="lacks fingerprint"):
        load_baseline(path)


def test_write_atomic_keeps_old_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "keep.json"
    path.write_text("old")

    with pytest.raises(TypeError):
        write_atomic(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json"]


def test_write_atomic_to_a_device_writes_directly() -> None:
    write_atomic(Path("/dev/null"), "discarded")
    assert Path("/dev/null").is_char_device()
