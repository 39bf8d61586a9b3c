"""`secloop flow`: flow distribution per 4-week period, flow time, load and velocity from work items."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from secloop.cli.dora import register
from secloop.core.errors import InputError
from secloop.delivery.flow import Mix, flow
from secloop.delivery.model import WorkItem, WorkType
from tests.delivery.conftest import at, iso


@pytest.fixture
def invoke() -> Callable[..., Result]:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    runner = CliRunner()

    def call(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "140"})

    return call


def _item(ident: str, kind: str, created: str, done: str | None = None, started: str | None = None) -> str:
    record: dict[str, str] = {"type": "work_item", "id": ident, "work_type": kind, "created": iso(created)}
    if started is not None:
        record["started"] = iso(started)
    if done is not None:
        record["done"] = iso(done)
    return json.dumps(record) + "\n"


# The newest event is F4 done Tue 2026-06-30 12:00; the 90-day window starts 04-01 12:00 and holds
# three 4-week periods: (04-07, 05-05], (05-05, 06-02], (06-02, 06-30], all at 12:00.
ITEMS = (
    _item("F0", "feature", "2026-02-20 12:00", done="2026-03-01 12:00"),  # done before the window
    _item("F1", "feature", "2026-04-01 12:00", done="2026-04-03 12:00"),  # 2 days, before any period
    _item("F2", "feature", "2026-04-10 12:00", started="2026-04-11 09:00", done="2026-04-14 12:00"),  # 4
    _item("D1", "defect", "2026-04-20 12:00", done="2026-04-21 12:00"),  # 1 day
    _item("R1", "risk", "2026-05-01 12:00", done="2026-05-11 12:00"),  # 10 days
    _item("F3", "feature", "2026-05-10 12:00", done="2026-05-20 12:00"),  # 10 days
    _item("B1", "debt", "2026-06-01 12:00", done="2026-06-09 12:00"),  # 8 days
    _item("F4", "feature", "2026-06-10 12:00", done="2026-06-30 12:00"),  # 20 days
    _item("L1", "risk", "2026-06-20 12:00", started="2026-06-22 12:00"),  # started, not done: load
    _item("L2", "feature", "2026-06-25 12:00"),  # not started: no load
)


def _events(root: Path, lines: tuple[str, ...] = ITEMS) -> Path:
    path = root / ".secloop" / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return path


def _counts(entry: dict[str, object]) -> tuple[object, ...]:
    return tuple(
        entry[k] for k in ("feature", "defect", "risk", "debt", "total", "risk_debt_percent", "check")
    )


def test_flow_json_has_the_hand_computed_figures(invoke: Callable[..., Result], tmp_path: Path) -> None:
    _events(tmp_path)
    first = invoke("flow", str(tmp_path), "--format", "json")
    second = invoke("flow", str(tmp_path), "--format", "json")
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    doc = json.loads(first.output)
    assert doc["schema"] == "secloop.flow/v1"
    assert doc["window"] == {"start": "2026-04-01T12:00:00Z", "end": "2026-06-30T12:00:00Z", "days": 90}
    assert doc["reason"] is None
    assert doc["work_items"] == 10
    # Done in the window: F1 F2 F3 F4, D1, R1, B1: risk + debt 2 of 7.
    assert _counts(doc["distribution"]) == (4, 1, 1, 1, 7, 28.57, "pass")
    assert [(p["start"], p["end"]) for p in doc["periods"]] == [
        ("2026-04-07T12:00:00Z", "2026-05-05T12:00:00Z"),
        ("2026-05-05T12:00:00Z", "2026-06-02T12:00:00Z"),
        ("2026-06-02T12:00:00Z", "2026-06-30T12:00:00Z"),
    ]
    assert [_counts(p) for p in doc["periods"]] == [
        (1, 1, 0, 0, 2, 0.0, "fail"),
        (1, 0, 1, 0, 2, 50.0, "pass"),
        (1, 0, 0, 1, 2, 50.0, "pass"),
    ]
    # Flow times 1 2 4 8 10 10 20 days: median the 4th, p90 the ceil(6.3) = 7th.
    assert doc["flow_time_days"] == {"median": 8.0, "p90": 20.0, "samples": 7}
    assert doc["flow_load"] == {"count": 1, "items": ["L1"]}
    assert doc["flow_velocity_per_week"] == 0.54  # 7 done / 90 days * 7
    assert doc["skipped"] == []


def test_a_shorter_window_keeps_whole_periods(invoke: Callable[..., Result], tmp_path: Path) -> None:
    _events(tmp_path)
    result = invoke("flow", str(tmp_path), "-f", "json", "--window-days", "30")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    # (05-31 12:00, 06-30 12:00]: B1 and F4; one whole 4-week period, the same two items.
    assert _counts(doc["distribution"]) == (1, 0, 0, 1, 2, 50.0, "pass")
    assert [_counts(p) for p in doc["periods"]] == [(1, 0, 0, 1, 2, 50.0, "pass")]
    assert doc["flow_time_days"] == {"median": 14.0, "p90": 20.0, "samples": 2}
    assert doc["flow_velocity_per_week"] == 0.47  # 2 / 30 * 7


def test_flow_terminal_fails_the_check_below_twenty_percent(
    invoke: Callable[..., Result], tmp_path: Path
) -> None:
    lines = tuple(_item(f"F{n}", "feature", "2026-05-01 12:00", done="2026-05-02 12:00") for n in range(5))
    _events(tmp_path, (*lines, _item("R1", "risk", "2026-05-01 12:00", done="2026-05-03 12:00")))
    result = invoke("flow", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "fail (16.67% risk + debt)" in result.output
    assert "flow time (created → done): median 1 days, p90 2 days (n=6)" in result.output
    assert "flow load (started, not done at the window's end): 0" in result.output
    assert "flow velocity: 0.47 done per week" in result.output


def test_no_work_items_says_so_and_exits_0(invoke: Callable[..., Result], tmp_path: Path) -> None:
    result = invoke("flow", str(tmp_path), "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["reason"] == (
        "no work items in .secloop/events.jsonl: record them (secloop events record work-item) or export "
        "them from the issue tracker"
    )
    assert (doc["window"], doc["distribution"], doc["periods"], doc["work_items"]) == (None, None, [], 0)
    terminal = invoke("flow", str(tmp_path))
    assert terminal.exit_code == 0
    assert "no work items in .secloop/events.jsonl" in terminal.output


def test_flow_malformed_explicit_events_is_exit_2_with_the_place(
    invoke: Callable[..., Result], tmp_path: Path
) -> None:
    events = tmp_path / "items.jsonl"
    events.write_text(ITEMS[1] + '{"type": "work_item", "id": "W-2", "work_type": "risk"}\n')
    result = invoke("flow", str(tmp_path), "--events", str(events))
    assert isinstance(result.exception, InputError)
    assert result.exception.exit_code == 2
    assert result.exception.render().startswith(f"error: {events}:2:1: a work_item event needs 'created'\n")


def test_an_implicit_malformed_line_is_skipped_and_shown(
    invoke: Callable[..., Result], tmp_path: Path
) -> None:
    _events(tmp_path, (ITEMS[1], "not json\n"))
    doc = json.loads(invoke("flow", str(tmp_path), "-f", "json").output)
    assert _counts(doc["distribution"]) == (1, 0, 0, 0, 1, 0.0, "fail")
    assert [(s["path"], s["line"]) for s in doc["skipped"]] == [(".secloop/events.jsonl", 2)]


def test_mix_counts_in_work_type_order() -> None:
    def item(kind: WorkType) -> WorkItem:
        return WorkItem("X", kind, at("2026-01-01 00:00"), None, at("2026-01-02 00:00"), None, "t")

    mix = Mix.of([item(WorkType.DEBT), item(WorkType.FEATURE), item(WorkType.DEBT), item(WorkType.RISK)])
    assert (mix.counts, mix.share, mix.passes) == ((1, 0, 1, 2), 0.75, True)
    assert Mix.of([]).passes is None
    report = flow([item(WorkType.RISK)], at("2026-01-02 00:00"), 27)
    assert (report.periods, report.flow_time_median, report.velocity) == ((), 1.0, 0.26)
