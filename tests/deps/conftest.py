"""Shared helpers of the deps engine tests: fixture advisories, lockfile writing, the CLI runner."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.core.errors import SecloopError
from secloop.deps.db import AdvisoryDB, import_osv
from secloop.deps.model import ParseResult
from secloop.deps.parsers import parser_for
from secloop.deps.parsers.interface import Reader

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "deps"
OSV_FIXTURES = FIXTURES / "osv"
# CI keeps the real export at the same place relative to the repository: ../shared/data.
PYPI_ALL = ROOT.parent / "shared" / "data" / "osv" / "PyPI-all.zip"


def write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return root


def reader(root: Path) -> Reader:
    def read(rel: str) -> str | None:
        path = root / rel
        return path.read_text("utf-8") if path.is_file() else None

    return read


def parse_file(root: Path, rel: str) -> ParseResult:
    parser = parser_for(rel)
    assert parser is not None, rel
    read = reader(root)
    text = read(rel)
    assert text is not None
    return parser.parse(rel, text, read)


def rows(result: ParseResult) -> list[tuple[str, str, str, int | None, bool | None]]:
    return [(p.ecosystem, p.name, p.version, p.line, p.direct) for p in result.packages]


def reasons(result: ParseResult) -> list[tuple[str, int | None, str]]:
    return [(s.path, s.line, s.reason) for s in result.skipped]


@pytest.fixture
def osv_dir(tmp_path: Path) -> Path:
    """The fixture advisories (a few real PyPI records and synthetic ones) imported into a tmp dir."""
    directory = tmp_path / "osv-db"
    import_osv(OSV_FIXTURES, directory)
    return directory


@pytest.fixture
def db(osv_dir: Path) -> AdvisoryDB:
    return AdvisoryDB.open(osv_dir)


@pytest.fixture
def no_user_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default database at an empty tmp dir: tests never read the user's data dir."""
    empty = tmp_path / "no-db"
    monkeypatch.setenv("SECLOOP_OSV_DIR", str(empty))
    return empty


def pypi_all() -> Path:
    if not PYPI_ALL.is_file():
        pytest.skip(f"the OSV PyPI export is not at {PYPI_ALL} (CI keeps it at ../shared/data/osv)")
    return PYPI_ALL


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(args: list[str]) -> Outcome:
    """The deps commands on a local app, with the exit-code mapping of `secloop.cli.main.run`."""
    from secloop.cli import deps

    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    scan = typer.Typer(no_args_is_help=True)
    app.add_typer(scan, name="scan")
    deps.register_scan(scan)
    deps.register(app)
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    if isinstance(result.exception, SecloopError):
        return Outcome(result.exception.exit_code, result.stdout, result.stderr + result.exception.render())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


REGISTRY_FIXTURES = FIXTURES / "registry"


@dataclass
class RegistryServer:
    """A loopback server answering like PyPI's JSON API, the npm registry and npm's downloads API."""

    base: str
    requests: list[str]
    authorizations: list[str | None] = field(default_factory=list)  # Authorization header per request

    @property
    def pypi(self) -> str:
        return f"{self.base}/pypi"

    @property
    def npm(self) -> str:
        return f"{self.base}/npm"

    @property
    def downloads(self) -> str:
        return f"{self.base}/downloads"

    @property
    def github(self) -> str:
        return f"{self.base}/github"


def _registry_file(path: str) -> Path | None:
    from urllib.parse import unquote

    parts = path.split("?", 1)[0].split("/")
    if len(parts) == 4 and parts[1] == "pypi" and parts[3] == "json":
        return REGISTRY_FIXTURES / "pypi" / f"{unquote(parts[2]).lower()}.json"
    if len(parts) == 3 and parts[1] == "npm":
        return REGISTRY_FIXTURES / "npm" / f"{unquote(parts[2]).replace('/', '%2F')}.json"
    if len(parts) == 5 and parts[1:3] == ["github", "repos"]:
        return FIXTURES / "github" / f"{unquote(parts[3]).lower()}__{unquote(parts[4]).lower()}.json"
    if path.startswith("/downloads/point/last-week/"):
        name = unquote(path.removeprefix("/downloads/point/last-week/"))
        return REGISTRY_FIXTURES / "npm-downloads" / f"{name.replace('/', '%2F')}.json"
    return None


@pytest.fixture
def registry_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RegistryServer]:
    """The server; the GitHub API base points at it too, and no token from the environment leaks in."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []
    auth: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            auth.append(self.headers.get("Authorization"))
            if self.path == "/pypi/broken/json":
                self.send_error(500)
                return
            if self.path == "/github/repos/example/ratelimited":
                self.send_error(403)
                return
            found = _registry_file(self.path)
            if found is None or not found.is_file():
                self.send_error(404)
                return
            body = found.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SECLOOP_GITHUB_API_URL", f"{base}/github")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    try:
        yield RegistryServer(base, seen, auth)
    finally:
        server.shutdown()
        server.server_close()
