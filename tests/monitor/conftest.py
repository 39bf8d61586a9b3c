"""Helpers shared by the monitor tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from secloop.monitor.config import MonitorConfig
from secloop.monitor.engine import Monitor, Report
from secloop.monitor.events import Event
from secloop.monitor.parsers import make_parser
from secloop.monitor.stream import Source, Stats, read_all
from secloop.monitor.syslog import Malformed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "monitor"
T0 = datetime(2026, 3, 14, 6, 0, 0, tzinfo=UTC).timestamp()


def parse_one(
    line: str, fmt: str = "syslog", config: MonitorConfig | None = None
) -> Event | Malformed | None:
    parser = make_parser(fmt, "log", config or MonitorConfig(), year=2026)
    return parser(line, 7)


def event(line: str, fmt: str = "syslog", config: MonitorConfig | None = None) -> Event:
    result = parse_one(line, fmt, config)
    assert isinstance(result, Event), result
    return result


def scan_text(tmp_path: Path, text: str, config: MonitorConfig | None = None, name: str = "log") -> Report:
    path = tmp_path / name
    path.write_text(text)
    cfg = config or MonitorConfig()
    stats = Stats()
    monitor = Monitor(cfg)
    monitor.feed_all(read_all([Source(name, "auto", path)], cfg, stats, year=2026))
    return monitor.report(stats)


def fail(at: float, ip: str, account: str, line: int = 1) -> Event:
    return Event(T0 + at, "authn_login_fail", "ssh", ip, account, "failure", "log", line, "test", "raw")


def ok(
    at: float, ip: str, account: str, line: int = 1, lat: float | None = None, lon: float | None = None
) -> Event:
    return Event(
        T0 + at,
        "authn_login_success",
        "ssh",
        ip,
        account,
        "success",
        "log",
        line,
        "test",
        "raw",
        lat=lat,
        lon=lon,
    )
