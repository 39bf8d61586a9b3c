"""A loopback test API for the probes: header, bearer, query, cookie and basic auth, optional auth,
403 answers, and switches that make one operation leaky. Credentials are made at run time."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "probe"
SPEC = FIXTURES / "shop-openapi.yaml"


@dataclass
class Shop:
    key: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    expired: str = field(default_factory=lambda: "exp-" + secrets.token_urlsafe(16))
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    leaky: set[str] = field(
        default_factory=set
    )  # behaviours: open-admin, presence-bearer, expired-ok, cors, cookie
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, credentials sent)
    url: str = ""

    def bearer_ok(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        value = header.removeprefix("Bearer ")
        if "presence-bearer" in self.leaky:
            return True
        return value == self.token or ("expired-ok" in self.leaky and value == self.expired)


def _handler(shop: Shop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, extra: dict[str, str] | None = None) -> None:
            body = json.dumps({"status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            auth = self.headers.get("Authorization")
            creds = (
                auth
                or self.headers.get("X-API-Key")
                or self.headers.get("Cookie")
                or ",".join(query.get("api_key", []))
            )
            shop.seen.append(("GET", parts.path, creds or ""))
            path = parts.path
            key_ok = self.headers.get("X-API-Key") == shop.key
            if path == "/":
                extra: dict[str, str] = {}
                if "cookie" in shop.leaky:
                    extra["Set-Cookie"] = "sid=abc; Path=/"
                else:
                    extra["Set-Cookie"] = "pref=dark; Path=/; HttpOnly; SameSite=Lax"
                origin = self.headers.get("Origin")
                if "cors" in shop.leaky and origin:
                    extra["Access-Control-Allow-Origin"] = origin
                    extra["Access-Control-Allow-Credentials"] = "true"
                self._answer(404, extra)
            elif path in ("/health", "/catalog"):
                self._answer(200)
            elif path == "/items":
                self._answer(200 if key_ok else 401)
            elif path.startswith("/items/"):
                self._answer(200 if shop.bearer_ok(auth) else 403)  # 403 rather than 401
            elif path.startswith("/reports/"):
                self._answer(200 if key_ok or shop.bearer_ok(auth) else 401)
            elif path == "/search":
                self._answer(200 if query.get("api_key") == [shop.key] else 401)
            elif path == "/me":
                ok = f"session={shop.token}" in (self.headers.get("Cookie") or "")
                if ok:
                    self._answer(200)
                else:
                    self._answer(302, {"Location": "/login"})
            elif path == "/admin/stats":
                good = "Basic " + base64.b64encode(f"admin:{shop.password}".encode()).decode()
                self._answer(200 if "open-admin" in shop.leaky or auth == good else 401)
            else:
                self._answer(404)

        def do_POST(self) -> None:
            shop.seen.append(("POST", urlsplit(self.path).path, ""))
            self._answer(401)

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # bursts on a loaded machine must not meet connection resets


@pytest.fixture
def shop() -> Iterator[Shop]:
    state = Shop()
    server = _Server(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def write_config(tmp_path: Path, shop: Shop, extra: str = "") -> Path:
    config = tmp_path / "probe.yml"
    config.write_text(
        f"rate: 1000\nmax_requests: 200\ntime_budget: 30\nexpired:\n  bearer: {shop.expired}\n"
        f"expect:\n  me: [302, 401, 403]\n{extra}"
    )
    return config
