"""The events file: schema, skipped lines when assessing, input errors when given explicitly, appending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.core.errors import InputError
from secloop.delivery.events import append_event, load_events, parse_events
from secloop.delivery.model import Deployment, DeploymentSource, Incident, WorkItem, WorkType
from tests.delivery.conftest import at

GOOD = (
    '{"type": "deployment", "environment": "production", "sha": "ABCDEF1", "version": "v1.0.0", '
    '"time": "2026-03-01T12:00:00+02:00", "status": "success"}\n'
    '{"type": "incident", "id": "INC-1", "opened": "2026-03-01T13:00:00Z", "resolved": null, '
    '"deployment_sha": "abcdef1", "severity": "high", "title": "Checkout down"}\n'
    "\n"
    '{"type": "work_item", "id": "P-1", "work_type": "debt", "created": "2026-02-01T09:00:00Z", '
    '"done": "2026-03-01T09:00:00Z"}\n'
)


def test_every_event_type_parses() -> None:
    events = parse_events(GOOD, "events.jsonl", strict=True)
    assert events.deployments == (
        Deployment("production", "abcdef1", "v1.0.0", at("2026-03-01 10:00"), "success",
                   DeploymentSource.EVENTS, "events.jsonl:1"),
    )  # fmt: skip
    assert events.incidents == (
        Incident("INC-1", at("2026-03-01 13:00"), None, "abcdef1", None, "high", "Checkout down",
                 "production", "events.jsonl:2"),
    )  # fmt: skip
    assert events.work_items == (
        WorkItem(
            "P-1", WorkType.DEBT, at("2026-02-01 09:00"), None, at("2026-03-01 09:00"), None, "events.jsonl:4"
        ),
    )
    assert events.skipped == ()


BAD_LINES = [
    ('{"type": "deployment", "sha": "abc1"', "not valid JSON: Expecting ',' delimiter", 37),
    ('{"type": "deploy"}', "unknown event type 'deploy'", 2),
    (
        '{"type": "deployment", "environment": "production", "sha": "abcd", "time": "2026-03-01T12:00:00"}',
        "'time' has no time zone: '2026-03-01T12:00:00'",
        68,
    ),
    ('{"type": "incident", "id": "INC-1", "opend": "2026-03-01T12:00:00Z"}',
     "unknown key 'opend' in an incident event", 37),
    ('{"type": "incident", "id": "INC-1"}', "an incident event needs 'opened'", 1),
    ('{"type": "deployment", "environment": "production", "sha": "main", "time": "2026-03-01T12:00:00Z"}',
     "'sha' is not a commit id: 'main'", 53),
    ('{"type": "work_item", "id": "P-1", "work_type": "chore", "created": "2026-03-01T12:00:00Z"}',
     "unknown work_type 'chore'", 36),
    ("[1, 2]", "each line must be a JSON object", 1),
]  # fmt: skip


@pytest.mark.parametrize(("line", "message", "column"), BAD_LINES)
def test_a_malformed_line_is_skipped_while_assessing(line: str, message: str, column: int) -> None:
    text = GOOD + line + "\n"
    events = parse_events(text, ".secloop/events.jsonl", strict=False)
    assert len(events.deployments) + len(events.incidents) + len(events.work_items) == 3
    assert [(s.path, s.line, s.column, s.reason) for s in events.skipped] == [
        (".secloop/events.jsonl", 5, column, f"events file: {message}")
    ]


@pytest.mark.parametrize(("line", "message", "column"), BAD_LINES)
def test_a_malformed_line_in_an_explicit_file_is_an_input_error(line: str, message: str, column: int) -> None:
    with pytest.raises(InputError) as info:
        parse_events(GOOD + line + "\n", "given.jsonl", strict=True)
    assert info.value.render().splitlines()[0] == f"error: given.jsonl:5:{column}: {message}"
    assert info.value.exit_code == 2


def test_missing_files(tmp_path: Path) -> None:
    assert load_events(tmp_path / "none.jsonl", "none.jsonl", strict=False).deployments == ()
    with pytest.raises(InputError, match="events file not found"):
        load_events(tmp_path / "none.jsonl", "none.jsonl", strict=True)
    (tmp_path / "latin.jsonl").write_bytes(b'{"title": "caf\xe9"}\n')
    skipped = load_events(tmp_path / "latin.jsonl", "latin.jsonl", strict=False).skipped
    assert [(s.path, s.reason) for s in skipped] == [("latin.jsonl", "events file is not UTF-8")]


def test_append_keeps_lines_whole_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / ".secloop" / "events.jsonl"
    path.parent.mkdir()
    path.write_text(
        '{"type": "incident", "id": "INC-0", "opened": "2026-02-01T09:00:00Z"}'
    )  # no final newline
    deploy = Deployment(
        "production", "abcdef12", "v2", at("2026-03-01 10:00"), "success", DeploymentSource.EVENTS, "x"
    )
    line = append_event(path, deploy)
    assert json.loads(line) == {
        "type": "deployment",
        "environment": "production",
        "sha": "abcdef12",
        "version": "v2",
        "time": "2026-03-01T10:00:00Z",
        "status": "success",
    }
    append_event(path, WorkItem("P-2", WorkType.RISK, at("2026-03-01 09:00"), None, None, "Rotate keys", "x"))
    events = load_events(path, "events.jsonl", strict=True)
    assert (len(events.incidents), len(events.deployments), len(events.work_items)) == (1, 1, 1)
    assert path.read_text().count("\n") == 3
