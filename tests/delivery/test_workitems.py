"""Work items from tracker exports: readers, typing rules, the import command and flow efficiency."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secloop.cli.main import run as run_cli
from secloop.core.errors import InputError
from secloop.delivery.flow import flow
from secloop.delivery.model import WorkItem, WorkType
from secloop.delivery.workitems import (
    DEFAULT_RULES,
    load_rules,
    parse_time,
    read_items,
    typed,
)

HERE = Path(__file__).resolve().parent.parent / "fixtures" / "delivery" / "workitems"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        run_cli(args)
    return int(exited.value.code or 0)


def test_jira_export_is_read_with_its_dates_and_every_labels_column() -> None:
    items = read_items(HERE / "jira.csv", "jira-csv")
    assert [(i.id, i.issue_type, i.labels) for i in items] == [
        ("SEC-1", "Bug", ("security",)),
        ("SEC-2", "Story", ()),
        ("SEC-3", "Task", ("tech-debt", "upgrade")),
        ("SEC-4", "Bug", ()),
        ("SEC-5", "Task", ()),
    ]
    first = items[0]
    assert (first.created, first.started, first.done) == (
        _at("2026-11-03T09:15"),
        _at("2026-11-04T10:00"),
        _at("2026-11-06T16:30"),
    )
    assert first.origin == "jira.csv:2"


def test_default_rules_put_security_bugs_under_risk_and_leave_the_unknown_unmapped() -> None:
    result = typed(read_items(HERE / "jira.csv", "jira-csv"), DEFAULT_RULES)
    assert [(i.id, i.type) for i in result.items] == [
        ("SEC-1", WorkType.RISK),
        ("SEC-2", WorkType.FEATURE),
        ("SEC-3", WorkType.DEBT),
        ("SEC-4", WorkType.DEFECT),
    ]
    assert [i.id for i in result.unmapped] == ["SEC-5"]


def test_github_issues_skip_pull_requests_and_a_mapping_file_decides_first() -> None:
    raw = read_items(HERE / "github-issues.json", "github-issues")
    assert [i.id for i in raw] == ["#12", "#13", "#15"]
    result = typed(raw, load_rules(HERE / "mapping.toml"))
    assert [(i.id, i.type) for i in result.items] == [("#12", WorkType.DEBT), ("#13", WorkType.FEATURE)]
    assert [i.id for i in result.unmapped] == ["#15"]
    default = typed(raw)
    assert [(i.id, i.type) for i in default.items] == [("#12", WorkType.RISK), ("#13", WorkType.FEATURE)]


def test_gitlab_issue_types_and_plain_csv() -> None:
    gitlab = typed(
        read_items(HERE / "gitlab-issues.json", "gitlab-issues"), load_rules(HERE / "mapping.toml")
    )
    assert [(i.id, i.type, i.done) for i in gitlab.items] == [("#4", WorkType.DEFECT, None)]
    plain = typed(read_items(HERE / "items.csv", "csv"))
    assert [(i.id, i.type) for i in plain.items] == [("W-1", WorkType.RISK), ("W-2", WorkType.DEFECT)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/Nov/26 9:15 AM", "2026-11-03T09:15:00+00:00"),
        ("2026-11-03 09:15", "2026-11-03T09:15:00+00:00"),
        ("2026-11-03T10:15:00+01:00", "2026-11-03T09:15:00+00:00"),
        ("2026-11-03T09:15:00.000Z", "2026-11-03T09:15:00+00:00"),
    ],
)
def test_dates_in_tracker_formats(text: str, expected: str) -> None:
    assert parse_time(text).isoformat() == expected


def test_bad_inputs_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "items.csv"
    bad.write_text("id,created\nA,2026-11-01\nB,yesterday\n")
    with pytest.raises(InputError) as caught:
        read_items(bad, "csv")
    assert caught.value.place is not None
    assert (caught.value.place.path, caught.value.place.line) == (str(bad), 3)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[[rule]]\ntype = "chore"\nlabels = ["x"]\n')
    with pytest.raises(InputError, match="type 'chore' is not one of feature, defect, risk, debt"):
        load_rules(mapping)
    broken = tmp_path / "b.toml"
    broken.write_text("[[rule]\n")
    with pytest.raises(InputError) as toml_error:
        load_rules(broken)
    assert toml_error.value.place is not None and toml_error.value.place.line == 1
    issues = tmp_path / "i.json"
    issues.write_text('[\n  {"number": 1,\n')
    with pytest.raises(InputError) as json_error:
        read_items(issues, "github-issues")
    assert json_error.value.place is not None and json_error.value.place.line == 3


def test_import_appends_once_then_only_new_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    args = ["events", "import", str(HERE / "jira.csv"), "--from", "jira-csv", "--repo", str(tmp_path)]
    assert run([*args, "--events", str(events), "--dry-run"]) == 0
    assert "would import 4 work item(s)" in capsys.readouterr().out
    assert not events.exists()
    assert run([*args, "--events", str(events)]) == 0
    out = capsys.readouterr()
    assert (
        f"imported 4 work item(s) into {events}: 1 feature, 1 defect, 1 risk, 1 debt; 1 unmapped" in out.out
    )
    assert "unmapped SEC-5 (jira.csv:6): type Task, no labels" in out.err
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert [(r["id"], r["work_type"]) for r in lines] == [
        ("SEC-1", "risk"),
        ("SEC-2", "feature"),
        ("SEC-3", "debt"),
        ("SEC-4", "defect"),
    ]
    assert run([*args, "--events", str(events)]) == 0
    assert "imported 0 work item(s)" in capsys.readouterr().out
    assert len(events.read_text().splitlines()) == 4


def test_import_of_a_bad_file_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "items.csv"
    bad.write_text("id,created\nA,2026-11-01\nB,yesterday\n")
    events = tmp_path / "events.jsonl"
    assert (
        run(["events", "import", str(bad), "--from", "csv", "--events", str(events), "--repo", str(tmp_path)])
        == 2
    )
    assert f"{bad}:3" in capsys.readouterr().err
    assert not events.exists()


def test_flow_efficiency_is_the_active_share_of_flow_time() -> None:
    items = [
        WorkItem("a", WorkType.FEATURE, _at("2026-11-01"), _at("2026-11-03"), _at("2026-11-05"), None, "t"),
        WorkItem("b", WorkType.RISK, _at("2026-11-01"), _at("2026-11-01"), _at("2026-11-02"), None, "t"),
        WorkItem("c", WorkType.DEBT, _at("2026-11-01"), None, _at("2026-11-04"), None, "t"),
        WorkItem("d", WorkType.DEBT, _at("2026-11-01"), _at("2026-11-05"), _at("2026-11-11"), None, "t"),
    ]
    report = flow(items, _at("2026-11-12"), 30)
    assert report.efficiency == (1.0, 0.5, 0.6)
    assert report.efficiency_median == 0.6
