"""Batch reading (merge, malformed lines, --strict) and follow mode (tail -F)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secloop.core.errors import InputError, UsageError
from secloop.monitor.config import MonitorConfig
from secloop.monitor.events import iso
from secloop.monitor.stream import Follower, Source, Stats, check_format, read_all

FAIL = "sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2"


def test_malformed_lines_are_counted_and_named(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(f"Mar 14 06:00:01 h {FAIL}\ngarbage here\n\nMar 14 06:00:02 h {FAIL}\n")
    stats = Stats()
    events = list(read_all([Source("auth.log", "auto", path)], MonitorConfig(), stats, year=2026))
    assert [e.line for e in events] == [1, 4]
    assert (stats.lines, stats.events, stats.ignored, stats.malformed) == (4, 2, 0, 1)
    assert stats.malformed_samples == [
        "auth.log:2: not a syslog line (expected 'Mmm dd hh:mm:ss host prog[pid]: …' or an ISO stamp)"
    ]
    assert stats.files == {"auth.log": "syslog"}


def test_strict_makes_a_malformed_line_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(f"Mar 14 06:00:01 h {FAIL}\ngarbage here\n")
    with pytest.raises(InputError) as info:
        list(read_all([Source("auth.log", "auto", path)], MonitorConfig(), Stats(), strict=True, year=2026))
    assert str(info.value.place) == "auth.log:2"
    assert info.value.exit_code == 2


def test_files_are_merged_in_time_order(tmp_path: Path) -> None:
    older, newer = tmp_path / "auth.log.1", tmp_path / "app.jsonl"
    older.write_text(f"Mar 14 06:00:01 h {FAIL}\nMar 14 06:00:05 h {FAIL}\n")
    newer.write_text('{"time": "2026-03-14T06:00:03Z", "event": "authn_login_fail:ann", "ip": "192.0.2.2"}\n')
    sources = [Source("app.jsonl", "auto", newer), Source("auth.log.1", "auto", older)]
    events = list(read_all(sources, MonitorConfig(), Stats(), year=2026))
    assert [(e.path, e.line, iso(e.time)) for e in events] == [
        ("auth.log.1", 1, "2026-03-14T06:00:01Z"),
        ("app.jsonl", 1, "2026-03-14T06:00:03Z"),
        ("auth.log.1", 2, "2026-03-14T06:00:05Z"),
    ]


def test_unknown_format_and_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("\nshopping list\n")
    with pytest.raises(InputError) as info:
        list(read_all([Source("notes.txt", "auto", path)], MonitorConfig(), Stats()))
    assert (str(info.value.place), info.value.hint) == (
        "notes.txt:2",
        "give --format syslog, json, access or k8s",
    )
    with pytest.raises(InputError, match="cannot read"):
        list(read_all([Source("gone", "auto", tmp_path / "gone")], MonitorConfig(), Stats()))
    with pytest.raises(UsageError, match="unknown log format 'xml'"):
        check_format("xml")


def test_empty_file_gives_no_events(tmp_path: Path) -> None:
    path = tmp_path / "empty.log"
    path.write_text("")
    stats = Stats()
    assert list(read_all([Source("empty.log", "auto", path)], MonitorConfig(), stats)) == []
    assert stats.lines == 0


def _line(second: int, user: str = "root") -> str:
    return (
        f"2026-03-14T06:00:{second:02d}Z h sshd[1]: Failed password for {user} from 192.0.2.1 port 2 ssh2\n"
    )


def test_follow_reads_appended_lines_and_partial_lines(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(_line(0))
    follower = Follower(Source("auth.log", "auto", path), MonitorConfig(), Stats())
    assert follower.poll() == []  # starts at the end, like tail -F
    with path.open("a") as handle:
        handle.write(_line(1) + _line(2)[:20])
    assert [(e.line, iso(e.time)) for e in follower.poll()] == [(1, "2026-03-14T06:00:01Z")]
    with path.open("a") as handle:
        handle.write(_line(2)[20:])
    assert [(e.line, e.account) for e in follower.poll()] == [(2, "root")]
    follower.close()


def test_follow_survives_rotation_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(_line(0))
    stats = Stats()
    follower = Follower(Source("auth.log", "auto", path), MonitorConfig(), stats, from_start=True)
    assert [e.account for e in follower.poll()] == ["root"]
    with path.open("a") as handle:
        handle.write(_line(1, "late"))
    os.rename(path, tmp_path / "auth.log.1")
    path.write_text(_line(2, "fresh"))
    assert [(e.account, e.line) for e in follower.poll()] == [("late", 2), ("fresh", 1)]
    path.write_text(_line(3, "again"))  # truncated and rewritten in place: shorter than our position
    os.truncate(path, 0)
    with path.open("a") as handle:
        handle.write(_line(4, "t"))
    assert [(e.account, e.line) for e in follower.poll()] == [("t", 1)]
    assert stats.files == {"auth.log": "syslog"}
    follower.close()


def test_follow_waits_for_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    follower = Follower(Source("later.log", "auto", path), MonitorConfig(), Stats())
    assert follower.poll() == []
    path.write_text(_line(5))
    assert [e.line for e in follower.poll()] == [1]  # a file that appears later is read from its start
    follower.close()
