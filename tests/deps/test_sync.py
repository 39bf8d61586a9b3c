"""`secloop db sync` against a loopback server: download, conditional requests, failures keep the snapshot."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from secloop.deps.db import read_snapshot
from secloop.deps.sync import OSV_BASE, export_url
from tests.deps.conftest import OSV_FIXTURES, run_cli

ETAG = '"v1"'


def pypi_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for record in sorted((OSV_FIXTURES / "pypi").glob("*.json")):
            archive.writestr(record.name, record.read_bytes())
    return buffer.getvalue()


@dataclass
class Exports:
    base: str
    seen: list[tuple[str, str | None]] = field(default_factory=list)


@pytest.fixture
def exports() -> Iterator[Exports]:
    body = pypi_zip()
    state = Exports("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, self.headers.get("If-None-Match")))
            if self.path == "/PyPI/all.zip":
                if self.headers.get("If-None-Match") == ETAG:
                    self.send_response(304)
                    self.end_headers()
                    return
                self._send(body, {"ETag": ETAG, "Last-Modified": "Tue, 01 Sep 2026 10:00:00 GMT"})
            elif self.path == "/truncated/all.zip":
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
            elif self.path == "/html/all.zip":
                self._send(b"<html>not found</html>", {})
            else:
                self.send_error(404)

        def _send(self, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_default_url_is_the_official_bucket_per_ecosystem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECLOOP_OSV_URL", raising=False)
    assert export_url("PyPI") == f"{OSV_BASE}/PyPI/all.zip"
    assert export_url("crates.io") == "https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip"


def test_sync_downloads_imports_and_then_asks_conditionally(exports: Exports, tmp_path: Path) -> None:
    db = tmp_path / "db"
    first = run_cli(["db", "sync", "--ecosystem", "PyPI", "--base-url", exports.base, "--db-dir", str(db)])
    assert first.code == 0, first.stderr
    assert f"{exports.base}/PyPI/all.zip: " in first.stdout
    assert "imported PyPI: 11 advisories" in first.stdout
    snapshot = read_snapshot(db)
    assert snapshot is not None
    assert [(e.name, e.advisories, e.source) for e in snapshot.ecosystems] == [("PyPI", 11, "PyPI-all.zip")]
    state = json.loads((db / "sync.json").read_text())
    assert state[f"{exports.base}/PyPI/all.zip"]["etag"] == ETAG
    # No --ecosystem: the imported ecosystems are synced; the server answers 304.
    again = run_cli(["db", "sync", "--base-url", exports.base, "--db-dir", str(db)])
    assert again.code == 0
    assert f"{exports.base}/PyPI/all.zip: not modified" in again.stdout
    assert exports.seen == [("/PyPI/all.zip", None), ("/PyPI/all.zip", ETAG)]
    assert not [p for p in db.iterdir() if p.name.startswith(".sync-")]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/truncated/all.zip", "truncated download"),
        ("/html/all.zip", "the download is not a zip archive"),
        ("/missing/all.zip", "HTTP 404"),
    ],
)
def test_a_failed_sync_exits_2_and_keeps_the_previous_snapshot(
    exports: Exports, tmp_path: Path, path: str, message: str
) -> None:
    db = tmp_path / "db"
    assert run_cli(["db", "sync", "-e", "PyPI", "--base-url", exports.base, "--db-dir", str(db)]).code == 0
    before = (db / "snapshot.json").read_bytes()
    failed = run_cli(["db", "sync", "--url", exports.base + path, "--db-dir", str(db)])
    assert failed.code == 2
    assert message in failed.stderr
    assert (db / "snapshot.json").read_bytes() == before
    assert not [p for p in db.iterdir() if p.name.startswith(".sync-")]


def test_nothing_to_sync_is_a_usage_error(tmp_path: Path) -> None:
    out = run_cli(["db", "sync", "--db-dir", str(tmp_path / "empty")])
    assert out.code == 2
    assert "no ecosystem to sync" in out.stderr
    assert "secloop db sync --ecosystem PyPI" in out.stderr
