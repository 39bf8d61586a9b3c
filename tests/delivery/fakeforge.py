"""A fake forge API on 127.0.0.1 for the API-source tests: fixed JSON per path, ETags, Link pagination."""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Forge:
    """``routes``: path -> list of pages (each a JSON value); ``status``: path -> HTTP status to answer.

    ``headers``: path -> extra headers sent with its ``status`` answer (rate-limit headers);
    ``answered``: the status code of each request, in the order of ``seen``.
    """

    routes: dict[str, list[Any]]
    status: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    base: str = ""


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            forge.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            if parts.path in forge.status:
                extra = forge.headers.get(parts.path, {})
                self._send(forge.status[parts.path], {"message": "Bad credentials"}, None, extra)
                return
            pages = forge.routes.get(parts.path)
            if pages is None:
                self._send(404, {"message": "Not Found"})
                return
            page = int(query.get("page", "1"))
            body = json.dumps(pages[page - 1]).encode()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers = {"ETag": etag}
            if page < len(pages):
                following = dict(query, page=str(page + 1))
                url = f"{forge.base}{parts.path}?{urllib.parse.urlencode(following)}"
                headers["Link"] = f'<{url}>; rel="next", <{url}>; rel="last"'
            if self.headers.get("If-None-Match") == etag:
                forge.answered.append(304)
                self.send_response(304)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                return
            self._send(200, None, body, headers)

        def _send(
            self, code: int, data: Any, body: bytes | None = None, headers: dict[str, str] | None = None
        ) -> None:
            payload = body if body is not None else json.dumps(data).encode()
            forge.answered.append(code)
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a loaded machine must not meet connection resets


@contextmanager
def serve(forge: Forge) -> Iterator[Forge]:
    server = _Server(("127.0.0.1", 0), _handler(forge))
    forge.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
