from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import typer
from typer.testing import CliRunner

from secloop.alerts.replay import load_rules
from secloop.cli.alerts import register
from secloop.cli.main import run_app
from tests.alerts.conftest import SLO_FIXTURE, requests_metrics

RUNNER = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        run_app(_app(), args)
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_generate_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rules.yml"
    code, text, _ = _run(["alerts", "generate", str(SLO_FIXTURE), "-o", str(out)], capsys)
    assert code == 0 and text == f"wrote {out}; check it with: promtool check rules {out}\n"
    assert out.read_text().count("- alert: ") == 6
    code, text, _ = _run(["alerts", "generate", str(SLO_FIXTURE), "-o", str(out), "--check"], capsys)
    assert (code, text) == (0, f"{out}: in sync with {SLO_FIXTURE}\n")
    out.write_text(out.read_text().replace("14.4", "14"))
    code, text, _ = _run(["alerts", "generate", str(SLO_FIXTURE), "-o", str(out), "--check"], capsys)
    assert code == 1 and "out of date" in text


def test_generate_malformed_slo_exits_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "slo.yml"
    bad.write_text("service: api\nteam: x\nslos:\n  - name: a\n    objective: 120\n    sli: {security: {}}\n")
    code, _, err = _run(["alerts", "generate", str(bad)], capsys)
    assert code == 2
    assert err.startswith(f"error: {bad.as_posix()}:5: `objective` must be a percentage")


class _Sink(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Sink.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Server(HTTPServer):
    request_queue_size = 128


@pytest.fixture
def sink() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Sink.bodies = []
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    rules = tmp_path / "rules.yml"
    RUNNER.invoke(_app(), ["alerts", "generate", str(SLO_FIXTURE), "-o", str(rules)])
    metrics = tmp_path / "metrics.json"
    metrics.write_text(requests_metrics(lambda t: 1.0 if 7200 <= t < 9000 else 0.0, hours=4))
    incidents = tmp_path / "incidents.yml"
    incidents.write_text(
        "incidents:\n  - name: outage\n    start: 2026-01-01T02:00:00Z\n    end: 2026-01-01T02:30:00Z\n"
        "    alerts: [CheckoutAvailabilityBurnRatePage, CheckoutAvailabilityBurnRateTicket]\n"
    )
    return rules, metrics, incidents


def test_replay_reports_webhooks_and_posts_to_loopback(
    tmp_path: Path, sink: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, metrics, incidents = _inputs(tmp_path)
    hooks = tmp_path / "hooks.json"
    args = ["alerts", "replay", str(rules), "--metrics", str(metrics), "--labels", str(incidents)]
    code, out, err = _run([*args, "-f", "json", "--webhook-out", str(hooks), "--post", sink], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["schema"] == "secloop.alerts-replay/v1" and report["evaluations"] == 481
    page = next(a for a in report["alerts"] if a["alert"] == "CheckoutAvailabilityBurnRatePage")
    assert page["fired"] == [{"start": "2026-01-01T02:01:00Z", "end": "2026-01-01T03:00:00Z"}]
    assert (page["precision"], page["recall"], page["detection_seconds"]) == (1.0, 1.0, [60.0])
    payloads = json.loads(hooks.read_text())
    assert [p["status"] for p in payloads] == ["firing", "firing", "resolved"]
    assert _Sink.bodies == payloads
    assert err == f"posted 3/3 webhook payload(s) to {sink}\n"
    code, text, _ = _run(args, capsys)
    assert code == 0
    assert "CheckoutAvailabilityBurnRatePage [page]: fired 1 time(s)" in text
    assert "  detection time median 60s, max 60s; reset time median 1800s, max 1800s" in text


def test_replay_gate_on_recall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules, metrics, _ = _inputs(tmp_path)
    incidents = tmp_path / "missed.yml"
    incidents.write_text(
        "incidents:\n  - start: 2026-01-01T00:10:00Z\n    end: 2026-01-01T00:20:00Z\n"
        "    alerts: [CheckoutLatencyBurnRatePage]\n"
    )
    args = ["alerts", "replay", str(rules), "--metrics", str(metrics), "--labels", str(incidents)]
    code, _, err = _run([*args, "--min-recall", "1"], capsys)
    assert code == 1 and "CheckoutLatencyBurnRatePage" in err


def test_replay_refuses_non_loopback_post_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        [
            "alerts",
            "replay",
            "missing.yml",
            "--metrics",
            "missing.json",
            "--post",
            "http://alerts.example.org/x",
        ],
        capsys,
    )
    assert code == 2
    assert "alerts.example.org is neither loopback nor allowed" in err


def _missed(tmp_path: Path) -> tuple[list[str], Path]:
    rules, metrics, _ = _inputs(tmp_path)
    incidents = tmp_path / "missed.yml"
    incidents.write_text(
        "incidents:\n  - start: 2026-01-01T00:10:00Z\n    end: 2026-01-01T00:20:00Z\n"
        "    alerts: [CheckoutLatencyBurnRatePage]\n"
    )
    return ["alerts", "replay", str(rules), "--metrics", str(metrics), "--labels", str(incidents)], rules


def test_replay_as_sarif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    args, rules = _missed(tmp_path)
    code, out, err = _run([*args, "-f", "sarif"], capsys)
    assert code == 0, err
    lines = {r.name: r.line for r in load_rules(rules.read_text(), "rules.yml") if r.is_alert}
    run = json.loads(out)["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["ALERT-REPLAY-MISSED", "ALERT-REPLAY-NOISE"]
    got = [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["message"]["text"],
            r["properties"]["practice"],
        )
        for r in run["results"]
    ]
    assert got == sorted(got, key=lambda item: item[2])
    assert sorted(got) == sorted([
        (
            "ALERT-REPLAY-NOISE", "warning", lines["CheckoutAvailabilityBurnRatePage"],
            "alert CheckoutAvailabilityBurnRatePage fired 1 of 1 time(s) outside every labelled incident "
            "(precision 0.00)",
            "monitor.alerting",
        ),
        (
            "ALERT-REPLAY-NOISE", "warning", lines["CheckoutAvailabilityBurnRateTicket"],
            "alert CheckoutAvailabilityBurnRateTicket fired 1 of 1 time(s) outside every labelled incident "
            "(precision 0.00)",
            "monitor.alerting",
        ),
        (
            "ALERT-REPLAY-MISSED", "error", lines["CheckoutLatencyBurnRatePage"],
            "alert CheckoutLatencyBurnRatePage missed 1 of 1 labelled incident(s) (recall 0.00)",
            "monitor.alerting",
        ),
    ])  # fmt: skip
    assert run["properties"]["as_of"] == "2026-01-01T00:00:00Z"
    assert run["properties"]["gate"]["passed"] is True
    # With bars, only the alerts below them are findings, and the gate fails as the exit code does.
    code, out, err = _run([*args, "-f", "sarif", "--min-recall", "1", "--min-precision", "0"], capsys)
    assert code == 1
    run = json.loads(out)["runs"][0]
    assert [(r["ruleId"], r["properties"]["alert"]) for r in run["results"]] == [
        ("ALERT-REPLAY-MISSED", "CheckoutLatencyBurnRatePage")
    ]
    assert run["properties"]["gate"]["reasons"] == [
        "below the --min-precision/--min-recall bar: CheckoutLatencyBurnRatePage"
    ]


def test_replay_sarif_needs_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules, metrics, _ = _inputs(tmp_path)
    code, out, err = _run(["alerts", "replay", str(rules), "--metrics", str(metrics), "-f", "sarif"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("error: -f sarif needs --labels: without labelled incidents no firing is noise")
