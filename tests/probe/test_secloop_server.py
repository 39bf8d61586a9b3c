"""Probe secloop's own server through its published OpenAPI document: it must come out clean."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from secloop.probe.run import probe
from secloop.server import create_app
from tests.server.conftest import build_settings

GETS = [
    "GET /api/v1/assessments",
    "GET /api/v1/assessments/{assessment_id}",
    "GET /api/v1/audit",
    "GET /api/v1/dora",
    "GET /api/v1/events",
    "GET /api/v1/findings",
    "GET /api/v1/repositories",
    "GET /api/v1/repositories/{repository_id}",
    "GET /api/v1/tokens",
    "GET /api/v1/users",
    "GET /metrics",
]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    app = create_app(build_settings(f"sqlite:///{tmp_path / 'server.db'}"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_secloop_server_comes_out_clean(live_server: str) -> None:
    report = probe(live_server, f"{live_server}/api/v1/openapi.json", None, rate=1000)
    assert report.findings == []
    assert [r.operation.key for r in report.probed] == GETS
    assert (report.inconclusive, report.notes) == ([], [])
    assert ("GET /healthz", "declares no security") in report.not_probed
    for result in report.probed:
        assert {a.status for a in result.attempts} == {401}, result


def test_secloop_server_refuses_unauthenticated_writes_too(live_server: str) -> None:
    report = probe(live_server, f"{live_server}/api/v1/openapi.json", None, methods="GET,POST", rate=1000)
    assert report.findings == [] and report.inconclusive == []
    assert [r.operation.key for r in report.probed if r.operation.method == "POST"] == [
        "POST /api/v1/events",
        "POST /api/v1/triage",
        "POST /api/v1/users",
        "POST /api/v1/users/{user_id}/disable",
    ]
