"""The labelled OpenSSH auth-log fixture (tests/fixtures/monitor/gen_authlog.py): event types and alerts."""

from __future__ import annotations

import pytest

from secloop.monitor.config import MonitorConfig
from secloop.monitor.engine import Monitor, Report
from secloop.monitor.stream import Source, Stats, read_all
from tests.monitor.conftest import FIXTURES

LABELS = dict(line.split("\t") for line in (FIXTURES / "auth.labels").read_text().splitlines())
ROLES = {
    ip: role
    for ip, role, _ in (line.split("\t") for line in (FIXTURES / "sources.tsv").read_text().splitlines())
}


def _scan(name: str) -> tuple[dict[int, str], Report, list[tuple[int, str]]]:
    config = MonitorConfig()
    stats = Stats()
    monitor = Monitor(config)
    types: dict[int, str] = {}
    failures: list[tuple[int, str]] = []  # (line, source ip) per failed attempt
    for event in read_all([Source(name, "auto", FIXTURES / name)], config, stats, year=2026):
        types[event.line] = event.type
        if event.type == "authn_login_fail" and event.ip:
            failures += [(event.line, event.ip)] * event.count
        monitor.feed(event)
    return types, monitor.report(stats), failures


@pytest.mark.parametrize("name", ["auth.log", "auth-iso.log"])
def test_every_line_gets_its_labelled_event_type(name: str) -> None:
    types, report, _ = _scan(name)
    got = {str(line): types.get(line, "-") for line in range(1, len(LABELS) + 1)}
    assert got == LABELS
    assert (report.stats.lines, report.stats.malformed) == (len(LABELS), 0)


@pytest.mark.parametrize("name", ["auth.log", "auth-iso.log"])
def test_every_attacker_is_flagged_within_its_first_ten_failures(name: str) -> None:
    _, report, failures = _scan(name)
    attackers = [ip for ip, role in ROLES.items() if role == "attacker"]
    assert len(attackers) == 5
    for ip in attackers:
        own = [line for line, source in failures if source == ip]
        flagged = [
            int(i.trigger.rsplit(":", 1)[1])
            for i in report.incidents
            if i.key == ip or ip in i.sources or i.key.endswith(f"@{ip}")
        ]
        assert flagged, f"{ip} never flagged"
        if len(own) >= 10:
            assert min(flagged) <= own[9], (ip, min(flagged), own[9])
        else:  # 203.0.113.99: five failures, then the right password, flagged on that success
            assert (ip, len(own), min(flagged)) == ("203.0.113.99", 5, 241)


@pytest.mark.parametrize("name", ["auth.log", "auth-iso.log"])
def test_no_alert_for_sources_with_at_most_two_failures(name: str) -> None:
    _, report, failures = _scan(name)
    quiet = {ip for ip in ROLES if sum(1 for _, source in failures if source == ip) <= 2}
    assert quiet == {"10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "172.16.4.20"}
    for incident in report.incidents:
        involved = {incident.key, *incident.sources, incident.key.rsplit("@", 1)[-1]}
        assert not involved & quiet, (incident.detection, incident.key)


def test_the_fixture_incidents() -> None:
    _, report, _ = _scan("auth.log")
    got = [(i.detection, i.key, i.severity, i.trigger) for i in report.incidents]
    assert got == [
        ("account-lockout", "root", "medium", "auth.log:6"),
        ("brute-force", "root", "high", "auth.log:10"),
        ("credential-stuffing", "203.0.113.10", "high", "auth.log:10"),
        ("password-spraying", "198.51.100.23", "high", "auth.log:101"),
        ("credential-stuffing", "198.51.100.77", "high", "auth.log:166"),
        ("password-spraying", "198.51.100.77", "high", "auth.log:171"),
        ("success-after-failures", "git@203.0.113.99", "critical", "auth.log:241"),
        ("brute-force", "ubuntu", "high", "auth.log:320"),
        ("credential-stuffing", "192.0.2.50", "high", "auth.log:320"),
    ]
