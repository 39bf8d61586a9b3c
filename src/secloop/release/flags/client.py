"""A flag-service client: polls with If-None-Match, or holds the server-sent-event stream open.

Either way the client evaluates locally with the same engine, so `is_enabled` never waits on the
network; the stream delivers a toggle (a kill switch) as soon as the server records it. Stdlib only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from secloop.release.flags.constraints import Context
from secloop.release.flags.engine import EMPTY, Engine
from secloop.release.flags.loader import parse_flags
from secloop.release.flags.model import DEFAULT_ENVIRONMENT

PATH = "/api/v1/flags"


class FlagServiceError(Exception):
    """The flag service answered with an error (the status and its detail)."""


class FlagClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        environment: str = DEFAULT_ENVIRONMENT,
        *,
        timeout: float = 10.0,
        on_change: Callable[[Engine], None] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.environment = environment
        self.timeout = timeout
        self.on_change = on_change
        self.etag: str | None = None
        self.revision = 0
        self._engine: Engine | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: http.client.HTTPConnection | None = None

    # -- evaluation -------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        return self._engine

    def is_enabled(self, name: str, context: Context = EMPTY, default: bool = False) -> bool:
        engine = self._engine
        return default if engine is None else engine.is_enabled(name, context, default)

    # -- transport --------------------------------------------------------------------------------

    def _connection(self, timeout: float | None) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=timeout)

    def _apply(self, document: dict[str, Any]) -> None:
        flags = parse_flags(document["text"], document.get("source", "flags.yaml"))
        toggles = document.get("toggles", {}).get(self.environment, {})
        self._engine = Engine(flags, self.environment, toggles)
        self.revision = int(document.get("revision", 0))
        if self.on_change is not None:
            self.on_change(self._engine)

    def fetch(self) -> bool:
        """One conditional GET: True when the flags changed (and were applied), False on 304."""
        conn = self._connection(self.timeout)
        try:
            headers = dict(self._headers)
            if self.etag:
                headers["If-None-Match"] = self.etag
            conn.request("GET", self._prefix + PATH, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status == 304:
                return False
            if response.status != 200:
                raise FlagServiceError(f"GET {PATH}: {response.status} {body[:200]!r}")
            self.etag = response.getheader("ETag")
            self._apply(json.loads(body))
            return True
        finally:
            conn.close()

    def listen(self) -> None:
        """Read the event stream until stop() (or the server closes it); applies every document."""
        conn = self._connection(None)
        self._stream = conn
        try:
            headers = dict(self._headers, Accept="text/event-stream")
            conn.request("GET", self._prefix + PATH + "/stream", headers=headers)
            response = conn.getresponse()
            if response.status != 200:
                raise FlagServiceError(f"GET {PATH}/stream: {response.status} {response.read()[:200]!r}")
            data: list[str] = []
            while not self._stop.is_set():
                raw = response.readline()
                if not raw:
                    return  # the server closed the stream
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
                elif not line and data:
                    self._apply(json.loads("\n".join(data)))
                    data = []
        finally:
            self._stream = None
            conn.close()

    # -- background -------------------------------------------------------------------------------

    def start(self, mode: str = "stream", interval: float = 15.0) -> threading.Thread:
        """Keep the flags fresh in a daemon thread: 'stream' (reconnecting) or 'poll' every `interval`."""
        if mode not in ("stream", "poll"):
            raise ValueError(f"mode must be 'stream' or 'poll', not {mode!r}")
        self._stop.clear()

        def loop() -> None:
            backoff = 0.5
            while not self._stop.is_set():
                try:
                    if mode == "stream":
                        self.listen()
                    else:
                        self.fetch()
                        self._stop.wait(interval)
                    backoff = 0.5
                except (OSError, http.client.HTTPException, FlagServiceError, ValueError):
                    # the server is away or answered badly: keep the last flags, retry with backoff
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)

        self._thread = threading.Thread(target=loop, name="secloop-flags", daemon=True)
        self._thread.start()
        return self._thread

    def wait_ready(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while self._engine is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._engine is not None

    def stop(self) -> None:
        self._stop.set()
        stream = self._stream
        if stream is not None and stream.sock is not None:
            # wakes the thread blocked reading the stream
            with contextlib.suppress(OSError):
                stream.sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
