"""The flag service on a real uvicorn (loopback): polling with ETags, and SSE pushing a kill switch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from secloop.release.flags.client import FlagClient, FlagServiceError
from secloop.release.flags.engine import Engine
from secloop.server import create_app
from secloop.server.crypto import Scope
from tests.server.conftest import build_settings

FLAGS = Path(__file__).resolve().parents[1] / "fixtures" / "flags" / "flags.yaml"
KILL = "payments-kill-switch"


@dataclass
class Live:
    url: str
    read: str
    write: str


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    app = create_app(build_settings(f"sqlite:///{tmp_path / 's.db'}", flags_file=str(FLAGS)))
    accounts = app.state.secloop.accounts
    read = accounts.create_token("reader", (Scope.READ,), actor="test")
    write = accounts.create_token("writer", (Scope.WRITE,), actor="test")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Live(f"http://127.0.0.1:{port}", read, write)
    server.should_exit = True
    thread.join(timeout=10)
    app.state.secloop.engine.dispose()


def toggle(live: Live, enabled: bool) -> None:
    response = httpx.post(
        f"{live.url}/api/v1/flags/{KILL}/toggle",
        json={"environment": "default", "enabled": enabled},
        headers={"Authorization": f"Bearer {live.write}"},
    )
    assert response.status_code == 200


def test_polling_client_uses_etags(live: Live) -> None:
    client = FlagClient(live.url, live.read)
    assert client.fetch() is True and client.revision == 1
    assert client.is_enabled(KILL)
    assert client.fetch() is False  # 304: nothing changed
    toggle(live, False)
    assert client.fetch() is True and client.revision == 2
    assert not client.is_enabled(KILL)


def test_bad_token_is_an_error(live: Live) -> None:
    with pytest.raises(FlagServiceError, match="401"):
        FlagClient(live.url, "not-a-token").fetch()


def test_kill_switch_reaches_every_subscriber(live: Live) -> None:
    clients = [FlagClient(live.url, live.read) for _ in range(5)]
    seen: dict[int, float] = {}

    def watcher(index: int) -> Callable[[Engine], None]:
        def changed(engine: Engine) -> None:
            if not engine.is_enabled(KILL):
                seen.setdefault(index, time.monotonic())

        return changed

    for index, client in enumerate(clients):
        client.on_change = watcher(index)
        client.start("stream")
    try:
        assert all(c.wait_ready() for c in clients)
        assert all(c.is_enabled(KILL) for c in clients)
        started = time.monotonic()
        toggle(live, False)
        deadline = started + 2.0
        while len(seen) < len(clients) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert sorted(seen) == list(range(5))
        assert max(seen.values()) - started < 2.0
        assert not any(c.is_enabled(KILL) for c in clients)
    finally:
        for client in clients:
            client.stop()


def test_poll_mode_in_the_background(live: Live) -> None:
    client = FlagClient(live.url, live.read)
    client.start("poll", interval=0.05)
    try:
        assert client.wait_ready() and client.is_enabled(KILL)
        toggle(live, False)
        deadline = time.monotonic() + 2
        while client.is_enabled(KILL) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not client.is_enabled(KILL) and client.revision == 2
    finally:
        client.stop()


def test_client_arguments() -> None:
    with pytest.raises(ValueError, match="not an http"):
        FlagClient("ftp://example.invalid", "t")
    client = FlagClient("http://127.0.0.1:9", "t")
    assert client.is_enabled(KILL, default=True) and client.engine is None  # nothing fetched yet
    with pytest.raises(ValueError, match="mode must be"):
        client.start("push")
