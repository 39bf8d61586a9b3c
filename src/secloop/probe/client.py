"""A small HTTP client on the standard library with the probe's safety limits built in.

Every request goes through `Client.send`, which enforces the rate (requests per second), the maximum
number of requests and the overall time budget, never follows redirects, and logs what was sent.
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class BudgetExhausted(Exception):
    """The request or time budget is spent; the probe stops and says what it did not check."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    def all(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self.headers if k.lower() == lower]


@dataclass(frozen=True, slots=True)
class Sent:
    method: str
    target: str  # path and query
    variant: str  # what the request was for: no-credentials, malformed:<scheme>, headers, ...
    headers: tuple[tuple[str, str], ...]
    status: int | None  # None: no answer (error)
    error: str | None = None


@dataclass
class Client:
    scheme: str
    host: str
    port: int
    rate: float
    max_requests: int
    time_budget: float
    timeout: float
    context: ssl.SSLContext | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    log: list[Sent] = field(default_factory=list)
    _started: float | None = None
    _last: float | None = None

    def _wait(self) -> None:
        now = self.clock()
        if self._started is None:
            self._started = now
        if len(self.log) >= self.max_requests:
            raise BudgetExhausted(f"the request budget ({self.max_requests}) is spent")
        if self._last is not None:
            gap = 1.0 / self.rate - (now - self._last)
            if gap > 0:
                self.sleep(gap)
                now = self.clock()
        if now - self._started > self.time_budget:
            raise BudgetExhausted(f"the time budget ({self.time_budget:g}s) is spent")
        self._last = now

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            context = self.context or ssl.create_default_context()
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def send(self, method: str, target: str, headers: dict[str, str], variant: str) -> Response | None:
        """The answer, or None when the server could not be reached (logged with the error)."""
        self._wait()
        sent_headers = tuple(sorted(headers.items()))
        conn = self._connection()
        try:
            conn.request(method, target, headers=headers)
            answer = conn.getresponse()
            body = answer.read(65536) if method != "HEAD" else b""
            response = Response(answer.status, tuple(answer.getheaders()), body)
        except (OSError, http.client.HTTPException) as exc:
            self.log.append(Sent(method, target, variant, sent_headers, None, f"{type(exc).__name__}: {exc}"))
            return None
        finally:
            conn.close()
        self.log.append(Sent(method, target, variant, sent_headers, response.status))
        return response

    def count(self, variant: str) -> None:
        """Account for a connection that is not an HTTP request (a TLS handshake) in the budget."""
        self._wait()
        self.log.append(Sent("TLS", "", variant, (), None))
