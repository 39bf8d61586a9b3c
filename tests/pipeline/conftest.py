"""Helpers for the pipeline engine tests: scan a fixture workflow and list (rule, line, column, severity)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from secloop.pipeline.engine import PipelineScan, scan_texts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pipeline"

Hit = tuple[str, int, int, str]


def scan_fixture(name: str) -> PipelineScan:
    text = (FIXTURES / name).read_text("utf-8")
    return scan_texts([(f".github/workflows/{name}", text)])


def hits_of(scan: PipelineScan, rule_id: str) -> list[Hit]:
    out: list[Hit] = []
    for finding in scan.of(rule_id):
        loc = finding.primary
        assert loc is not None
        assert loc.start_line is not None
        assert loc.start_column is not None
        out.append((finding.rule_id, loc.start_line, loc.start_column, finding.severity.value))
    return out


@pytest.fixture
def scan() -> Callable[[str], PipelineScan]:
    return scan_fixture


@pytest.fixture
def hits() -> Callable[[str, str], list[Hit]]:
    def run(name: str, rule_id: str) -> list[Hit]:
        return hits_of(scan_fixture(name), rule_id)

    return run
