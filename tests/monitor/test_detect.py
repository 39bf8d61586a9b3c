"""Detections: thresholds, hysteresis (one incident per incident), bounded state."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.errors import ConfigError, InputError
from secloop.monitor.config import Detection, MonitorConfig, load_monitor_config
from secloop.monitor.detect import BruteForce, distance_km
from secloop.monitor.engine import Monitor
from secloop.monitor.events import Event, iso
from secloop.monitor.geo import NOWHERE, load_locations
from secloop.monitor.stream import Stats
from tests.monitor.conftest import T0, fail, ok


def run(
    events: list[Event], config: MonitorConfig | None = None, geo: Path | None = None
) -> list[tuple[str, str]]:
    monitor = Monitor(config or MonitorConfig(), load_locations(geo) if geo else NOWHERE)
    monitor.feed_all(events)
    return [(i.detection, i.key) for i in monitor.report(Stats()).incidents]


def test_brute_force_and_credential_stuffing_open_at_the_threshold() -> None:
    monitor = Monitor(MonitorConfig())
    for n in range(7):
        monitor.feed(fail(n * 10, "192.0.2.1", "root", line=n + 1))
    assert monitor.incidents == []
    monitor.feed(fail(70, "192.0.2.1", "root", line=8))
    found = {(i.detection, i.key, i.count, i.trigger) for i in monitor.incidents}
    assert found == {("brute-force", "root", 8, "log:8"), ("credential-stuffing", "192.0.2.1", 8, "log:8")}
    brute = next(i for i in monitor.incidents if i.detection == "brute-force")
    assert (brute.severity, brute.sources, brute.accounts, iso(brute.first)) == (
        "high", {"192.0.2.1": 8}, {"root": 8}, "2026-03-14T06:00:00Z",
    )  # fmt: skip


def test_failures_spread_wider_than_the_window_do_not_alert() -> None:
    events = [fail(n * 120, "192.0.2.1", "root") for n in range(20)]  # one every 2 min: 5 per 10 min
    assert run(events) == []


def test_brute_force_counts_per_account_across_sources() -> None:
    events = [fail(n, f"192.0.2.{n}", "admin") for n in range(8)]  # distributed: 1 per source
    assert run(events) == [("brute-force", "admin")]


def test_hysteresis_one_incident_while_the_attack_pauses_shorter_than_quiet() -> None:
    events = [fail(n * 5, "192.0.2.1", "root") for n in range(10)]
    events += [fail(400 + n * 5, "192.0.2.1", "root") for n in range(10)]  # 6 min pause < quiet (10 min)
    monitor = Monitor(MonitorConfig())
    monitor.feed_all(events)
    report = monitor.report(Stats())
    brute = [i for i in report.incidents if i.detection == "brute-force"]
    assert [(i.count, i.closed) for i in brute] == [(20, None)]


def test_hysteresis_a_second_incident_after_the_quiet_period() -> None:
    events = [fail(n * 5, "192.0.2.1", "root") for n in range(10)]
    events += [fail(3600 + n * 5, "192.0.2.1", "root") for n in range(10)]
    monitor = Monitor(MonitorConfig(detections={"credential-stuffing": Detection(enabled=False)}))
    closed: list[str] = []
    monitor.on_close = lambda incident: closed.append(iso(incident.closed or 0))
    monitor.feed_all(events)
    report = monitor.report(Stats())
    assert [(i.detection, i.count) for i in report.incidents] == [("brute-force", 10), ("brute-force", 10)]
    assert closed == ["2026-03-14T06:10:45Z"]  # last failure at 06:00:45 + quiet 600 s


def test_password_spraying_many_accounts_few_attempts() -> None:
    events = [fail(n * 60, "192.0.2.9", f"user{n}") for n in range(5)]
    assert run(events) == [("password-spraying", "192.0.2.9")]


def test_password_spraying_not_for_many_attempts_per_account() -> None:
    events = [fail(n * 60, "192.0.2.9", f"user{n % 2}") for n in range(7)]  # 2 accounts only
    assert run(events) == []


def test_success_after_failures() -> None:
    events = [fail(n * 10, "192.0.2.7", "git") for n in range(5)] + [ok(60, "192.0.2.7", "git", line=9)]
    monitor = Monitor(MonitorConfig())
    monitor.feed_all(events)
    [incident] = monitor.report(Stats()).incidents
    assert (incident.detection, incident.key, incident.severity, incident.trigger) == (
        "success-after-failures", "git@192.0.2.7", "critical", "log:9",
    )  # fmt: skip
    assert incident.note == "after 5 failure(s) from the source and 5 for the account"


def test_success_after_few_failures_is_quiet() -> None:
    events = [fail(n * 10, "10.0.0.6", "bob") for n in range(2)] + [ok(60, "10.0.0.6", "bob")]
    assert run(events) == []


def lock(at: float, account: str, type_: str = "authn_login_lock") -> Event:
    return Event(T0 + at, type_, "ssh", None, account, "failure", "log", 1, "test", "raw")


def test_lockouts_one_incident_per_account() -> None:
    events = [lock(0, "root"), lock(30, "root", "authn_login_fail_max"), lock(40, "svc")]
    assert run(events) == [("account-lockout", "root"), ("account-lockout", "svc")]


def test_no_lockout_without_lock_events() -> None:
    assert run([fail(0, "192.0.2.1", "root")]) == []


def denied(at: float, ip: str | None, account: str | None) -> Event:
    return Event(T0 + at, "authz_fail", "http", ip, account, "failure", "log", 1, "http:403", "raw")


def test_authorisation_failure_burst() -> None:
    assert run([denied(n, "192.0.2.44", "bob") for n in range(10)]) == [("authz-failure-burst", "192.0.2.44")]
    assert run([denied(n, None, "bob") for n in range(10)]) == [("authz-failure-burst", "account:bob")]
    assert run([denied(n * 60, "192.0.2.44", "bob") for n in range(10)]) == []


def test_impossible_travel_from_event_fields() -> None:
    berlin, sydney = (52.52, 13.40), (-33.87, 151.21)
    events = [
        ok(0, "192.0.2.1", "ann", lat=berlin[0], lon=berlin[1]),
        ok(3600, "192.0.2.2", "ann", 2, *sydney),
    ]
    monitor = Monitor(MonitorConfig())
    monitor.feed_all(events)
    [incident] = monitor.report(Stats()).incidents
    assert (incident.detection, incident.key) == ("impossible-travel", "ann")
    assert incident.note == "16,095 km in 1.00 h (16,095 km/h) from 192.0.2.1 to 192.0.2.2"


def test_impossible_travel_from_a_location_map(tmp_path: Path) -> None:
    geo = tmp_path / "geo.csv"
    geo.write_text("ip,lat,lon\n192.0.2.1,52.52,13.40\n198.51.100.0/24,40.71,-74.00\n")
    events = [ok(0, "192.0.2.1", "ann"), ok(1800, "198.51.100.20", "ann")]
    assert run(events, geo=geo) == [("impossible-travel", "ann")]
    slow = [ok(0, "192.0.2.1", "ann"), ok(86400, "198.51.100.20", "ann")]  # a day later: a flight
    assert run(slow, geo=geo) == []
    unknown = [ok(0, "192.0.2.1", "ann"), ok(60, "203.0.113.1", "ann")]
    assert run(unknown, geo=geo) == []


def test_location_map_json_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "geo.json"
    good.write_text('{"192.0.2.1": [52.52, 13.4], "10.0.0.0/8": {"lat": 1, "lon": 2}}')
    locations = load_locations(good)
    assert (locations.find("192.0.2.1"), locations.find("10.1.2.3"), locations.find("8.8.8.8")) == (
        (52.52, 13.4), (1.0, 2.0), None,
    )  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text("192.0.2.1,95,10\n")
    with pytest.raises(InputError) as info:
        load_locations(bad)
    assert str(info.value.place) == f"{bad}:1"


def test_distance() -> None:
    assert round(distance_km((52.52, 13.40), (48.86, 2.35))) == 877


def test_tracked_keys_are_capped_lru() -> None:
    detector = BruteForce(Detection(threshold=8, window=600), max_keys=100)
    for n in range(1000):
        detector.feed(fail(n, "192.0.2.1", f"user{n}"))
    assert len(detector.tracks) == 100
    assert next(iter(detector.tracks)) == "user900"


def test_windows_expire_at_sweep() -> None:
    detector = BruteForce(Detection(threshold=8, window=600), max_keys=100)
    detector.feed(fail(0, "192.0.2.1", "root"))
    list(detector.sweep(T0 + 601))
    assert detector.tracks == {}


def test_config_overrides_defaults_and_names_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text(
        '[detections.brute-force]\nthreshold = 3\nwindow = "1m"\n'
        "[detections.impossible-travel]\nenabled = false\n"
    )
    config, _ = load_monitor_config(path)
    brute = config.detection("brute-force")
    assert (brute.threshold, brute.window, brute.severity, brute.reset_below, brute.quiet_for) == (
        3,
        60,
        "high",
        1,
        60,
    )
    assert not config.detection("impossible-travel").enabled
    path.write_text('timezone = "UTC"\n\n[detections.brute-force]\nwindow = "soon"\n')
    with pytest.raises(ConfigError) as info:
        load_monitor_config(path)
    assert str(info.value.place) == f"{path}:4"
    assert "not a duration: 'soon'" in info.value.message
    path.write_text("[detections.port-scan]\nthreshold = 3\n")
    with pytest.raises(ConfigError, match="unknown detection 'port-scan'"):
        load_monitor_config(path)


def test_open_incidents_are_capped_and_the_stalest_closes_early() -> None:
    config = MonitorConfig(max_keys=100, detections={"credential-stuffing": Detection(enabled=False)})
    closed: list[tuple[str, float | None]] = []
    monitor = Monitor(config, on_close=lambda i: closed.append((i.key, i.closed)))
    for n in range(101):
        monitor.feed(fail(n, "192.0.2.1", f"user{n}"))
        monitor.feed(
            Event(
                T0 + n, "authn_login_fail", "ssh", "192.0.2.1", f"user{n}", "failure", "log", 1, "t", "r", 8
            )
        )
    report = monitor.report(Stats())
    assert len([i for i in report.incidents if i.detection == "brute-force"]) == 101
    assert closed[0] == ("user0", T0)


def test_failures_without_an_account_are_no_sprayed_accounts() -> None:
    events = [fail(n, "192.0.2.9", f"user{n}") for n in range(4)]
    events += [
        Event(
            T0 + 10 + n, "authn_login_fail", "http", "192.0.2.9", None, "failure", "log", 1, "http:401", "r"
        )
        for n in range(3)
    ]
    assert run(events) == []
