"""Helpers for the threatmodel tests: models from text, a CLI on a local typer app."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from secloop.cli.threatmodel import register
from secloop.threatmodel.engine import Analysis, analyse
from secloop.threatmodel.loader import LoadedModel, parse_model
from secloop.threatmodel.problems import ModelError
from secloop.threatmodel.rulebook import load_rulebook


class _Backlogged(ThreadingHTTPServer):
    # bursts of concurrent requests (race and rate-limit kinds) overflow the default backlog of 5
    # on a loaded machine, which then resets connections
    request_queue_size = 128


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "threatmodel"
TODAY = date(2026, 12, 1)

MINIMAL = """\
system:
  name: Minimal
  scope:
    in: [the api]
components:
  - id: api
    kind: process
"""


def load(text: str, path: str = "tm.yaml") -> LoadedModel:
    return parse_model(textwrap.dedent(text), path, load_rulebook().ids)


def analysis(text: str, *, today: date = TODAY, root: Path | None = None) -> Analysis:
    return analyse(load(text), load_rulebook(), today=today, root=root)


def problems(text: str) -> list[str]:
    """Every problem of a malformed model, rendered ('tm.yaml:L:C: message / expected / hint')."""
    with pytest.raises(ModelError) as caught:
        load(text)
    return [p.render() for p in caught.value.problems]


@pytest.fixture
def invoke() -> Callable[..., Result]:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    runner = CliRunner()

    def call(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})

    return call


@contextmanager
def claim_keeping_server(limit: int) -> Iterator[str]:
    """A local HTTP server that keeps the claims of the shop model's 'order' flow: requests without
    an Authorization header get 401, and more than ``limit`` requests get 429."""
    seen = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["count"] += 1
            status = 429 if seen["count"] > limit else (401 if "Authorization" not in self.headers else 200)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Backlogged(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_secloop(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m secloop ARGS` in a new process: the real entry point, exit codes included."""
    return subprocess.run(
        [sys.executable, "-m", "secloop", *args], capture_output=True, text=True, check=False
    )
