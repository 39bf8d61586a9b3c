"""`secloop monitor scan|follow|detections` and the metrics exporter."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli.monitor import register
from secloop.core.errors import SecloopError, UsageError
from secloop.monitor.detect import Incident
from secloop.monitor.events import Event
from secloop.monitor.metrics import Metrics, is_loopback, parse_listen, serve
from tests.monitor.conftest import FIXTURES, T0

runner = CliRunner()


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    app = typer.Typer()
    register(app)
    result = runner.invoke(app, list(args), input=stdin)
    if isinstance(result.exception, SecloopError):
        return result.exception.exit_code, result.exception.render()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


AUTH = str(FIXTURES / "auth.log")
LINES = (FIXTURES / "auth.log").read_text().splitlines()


def test_scan_json_report_and_gate() -> None:
    code, out = invoke("monitor", "scan", AUTH, "--year", "2026", "-f", "json")
    data = json.loads(out)
    assert code == 1
    assert data["schema"] == "secloop.monitor/v1"
    assert data["lines"] == {"total": 374, "events": 222, "ignored": 152, "malformed": 0}
    assert data["gate"] == {"fail_on": "high", "passed": False}
    critical = [d for d in data["detections"] if d["severity"] == "critical"]
    assert critical == [
        {
            "detection": "success-after-failures",
            "key": "git@203.0.113.99",
            "severity": "critical",
            "status": "closed",
            "window_seconds": 3600,
            "threshold": 5,
            "first": "2026-03-14T12:03:00Z",
            "opened": "2026-03-14T12:03:00Z",
            "last": "2026-03-14T12:03:00Z",
            "closed": "2026-03-14T13:03:00Z",
            "count": 1,
            "accounts": {"git": 1},
            "sources": {"203.0.113.99": 1},
            "note": "after 5 failure(s) from the source and 5 for the account",
            "opened_by": f"{AUTH}:241",
            "samples": [f"{AUTH}:{n}: {LINES[n - 1]}" for n in (232, 233, 237, 238, 241)],
        }
    ]
    by_type = {(row["event"], row["source"]): row["count"] for row in data["events"]["by_type"]}
    assert by_type[("authn_login_fail", "ssh")] == 93
    assert data["events"]["top_failing_sources"][0] == {"ip": "203.0.113.10", "failures": 42}


def test_scan_fail_on_critical_and_none() -> None:
    assert invoke("monitor", "scan", AUTH, "--year", "2026", "--fail-on", "critical", "-f", "json")[0] == 1
    assert invoke("monitor", "scan", AUTH, "--year", "2026", "--fail-on", "none", "-f", "json")[0] == 0
    code, text = invoke("monitor", "scan", AUTH, "--fail-on", "bad")
    assert (code, text.splitlines()[0]) == (
        2,
        "error: --fail-on must be one of critical, high, medium, low, info, none (got 'bad')",
    )


def test_scan_terminal_output(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    code, _ = invoke("monitor", "scan", AUTH, "--year", "2026", "-o", str(out))
    text = out.read_text()
    assert code == 1
    assert "374 lines: 222 security events, 152 other, 0 malformed" in text
    assert "CRITICAL success-after-failures git@203.0.113.99: 1 event(s)" in text
    assert "gate failed: 8 detection(s) at or above high" in text


def test_scan_clean_log_from_stdin_passes() -> None:
    line = "Mar 14 06:00:01 h sshd[1]: Accepted publickey for alice from 10.0.0.5 port 2 ssh2\n"
    code, out = invoke("monitor", "scan", "-", "--year", "2026", stdin=line)
    assert code == 0
    assert "no detection fired (7 enabled: brute-force, credential-stuffing" in out
    assert "gate passed: 0 detection(s) at or above high" in out


def test_scan_strict_names_the_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(
        "Mar 14 06:00:01 h sshd[1]: Accepted publickey for a from 10.0.0.5 port 2 ssh2\n<garbage>\n"
    )
    code, text = invoke("monitor", "scan", str(path), "--strict")
    assert code == 2
    assert text.startswith(f"error: {path}:2: not a syslog line")
    code, out = invoke("monitor", "scan", str(path), "-f", "json")
    assert (code, json.loads(out)["lines"]["malformed"]) == (0, 1)


def test_scan_bad_config_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text("[detections.brute-force]\nthreshold = 0\n")
    code, text = invoke("monitor", "scan", AUTH, "--config", str(config))
    assert code == 2
    assert text.splitlines()[0] == (
        f"error: {config}:2: option 'detections.brute-force.threshold':"
        " Input should be greater than or equal to 1"
    )


def test_detections_command_lists_effective_settings(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('[detections.brute-force]\nthreshold = 20\nwindow = "1h"\n')
    code, out = invoke("monitor", "detections", "--config", str(config))
    assert code == 0
    assert (
        out.splitlines()[0]
        == "brute-force              on  high     threshold 20   window 3600s reset<10 quiet 3600s"
    )
    assert len(out.splitlines()) == 7


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus) is not installed"
)
def test_metrics_file_passes_promtool(tmp_path: Path) -> None:
    metrics = tmp_path / "secloop.prom"
    invoke("monitor", "scan", AUTH, "--year", "2026", "--metrics-file", str(metrics), "-f", "json")
    text = metrics.read_text()
    assert 'secloop_security_events_total{event="authn_login_fail",source="ssh"} 93\n' in text
    assert 'secloop_security_detections_total{detection="brute-force"} 2\n' in text
    assert 'secloop_security_detections_total{detection="impossible-travel"} 0\n' in text
    assert 'secloop_monitor_lines_total{outcome="malformed"} 0\n' in text
    promtool = shutil.which("promtool")
    assert promtool is not None
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_exporter_serves_on_loopback() -> None:
    metrics = Metrics()
    metrics.declare(["brute-force"])
    metrics.event(
        Event(T0, "authn_login_fail", "ssh", "192.0.2.1", "root", "failure", "log", 1, "t", "raw", 3)
    )
    metrics.opened(Incident("brute-force", "root", "high", 600, 8, T0, T0, T0))
    host, port = parse_listen("0")
    server = serve(metrics, host, port)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
            kind = response.headers["Content-Type"]
    finally:
        server.shutdown()
        server.server_close()
    assert kind == "text/plain; version=0.0.4; charset=utf-8"
    assert server.server_address[0] == "127.0.0.1"
    assert 'secloop_security_events_total{event="authn_login_fail",source="ssh"} 3' in body
    assert 'secloop_security_detections_total{detection="brute-force"} 1' in body
    assert 'secloop_security_detections_open{detection="brute-force"} 1' in body


def test_listen_parsing() -> None:
    assert parse_listen("9465") == ("127.0.0.1", 9465)
    assert parse_listen("0.0.0.0:9465") == ("0.0.0.0", 9465)  # noqa: S104 - parsing only
    assert parse_listen("[::1]:9465") == ("::1", 9465)
    with pytest.raises(UsageError, match="not HOST:PORT"):
        parse_listen("host:http")
    hosts = ("127.0.0.1", "localhost", "::1", "10.0.0.1")
    assert [is_loopback(host) for host in hosts] == [True, True, True, False]


def test_follow_prints_incidents_and_serves_metrics(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    lines = [
        f"2026-03-14T06:00:{n:02d}Z h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\n"
        for n in range(8)
    ]
    path.write_text("".join(lines))
    result: list[tuple[int, str]] = []
    worker = threading.Thread(
        target=lambda: result.append(
            invoke("monitor", "follow", str(path), "--from-start", "--interval", "0.05", "--duration", "0.5",
                   "--serve-metrics", "127.0.0.1:0")
        )
    )  # fmt: skip
    worker.start()
    worker.join(timeout=20)
    [(code, out)] = result
    assert code == 0
    shown = [line for line in out.splitlines() if " OPENED " in line]
    assert shown == [
        "2026-03-14T06:00:07Z OPENED high brute-force root: 8 event(s) since 2026-03-14T06:00:00Z",
        "2026-03-14T06:00:07Z OPENED high credential-stuffing 192.0.2.1: 8 event(s) since"
        " 2026-03-14T06:00:00Z — 8 failed logons for 1 account(s)",
    ]
    # The log's events are from 2026-03-14, long before the wall clock: the quiet incidents close at once.
    assert [line.split(" ", 3)[1:3] for line in out.splitlines() if " CLOSED " in line] == [
        ["CLOSED", "high"],
        ["CLOSED", "high"],
    ]


def test_scan_defaults_to_the_configured_sources(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.jsonl").write_text(
        "".join(
            f'{{"time": "2026-03-14T06:00:0{n}Z", "event": "authn_login_fail:ann", "ip": "192.0.2.{n}"}}\n'
            for n in range(8)
        )
    )
    config = tmp_path / "monitor.toml"
    config.write_text('[[sources]]\npath = "logs/app.jsonl"\n')
    code, out = invoke("monitor", "scan", "--config", str(config), "-f", "json")
    data = json.loads(out)
    assert code == 1
    assert data["files"] == [{"path": "logs/app.jsonl", "format": "json"}]
    assert [(d["detection"], d["key"], d["count"]) for d in data["detections"]] == [("brute-force", "ann", 8)]
    code, text = invoke("monitor", "scan")
    assert (code, text.splitlines()[0]) == (
        2,
        "error: no log file given and no [[sources]] in the monitor config",
    )
    code, text = invoke("monitor", "follow", "-")
    assert (code, text.splitlines()[0]) == (2, "error: follow reads files, not stdin")
