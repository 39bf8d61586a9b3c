"""Bounded loopback load test of `secloop serve`: webhook ingestion and dashboard pages.

Usage: python bench/bench_server.py [--db URL] [--repos 100] [--findings 100000] [--events 5000]
                                    [--page-requests 200] [--clients 8] [--page-clients 4] [--workers 2]

The server is `secloop serve --workers N --no-access-log` in its own processes on a free loopback
port, against PostgreSQL by default: a fresh schema in the test database on 127.0.0.1:5432, dropped
at the end. The database is seeded through the store with `--repos` repositories whose latest
assessments hold `--findings` findings in all and 50 practices each, then vacuumed and analysed
(as autovacuum would soon do). Then, over keep-alive connections from a minimal raw-socket client
(closed loop: each connection sends its next request when the answer arrives):

1. webhook ingestion, `--clients` connections: `--events` signed GitHub deployment_status
   deliveries, each with its own delivery id (signature check, replay check, one transaction
   storing the delivery and the event);
2. dashboard, `--page-clients` connections of one logged-in session: the overview, a repository
   page and the findings page (first page, and page 3 filtered by severity), `--page-requests` each,
   after two requests per connection on fresh connections that warm every server process's cache.

It prints events/s, p50/p99 latencies, the server processes' CPU time per page request, the load
average around the page runs, and a Markdown table row for docs/benchmarks.md. No peer
server runs side by side: the issue's goals (≥ 500 events/s with p99 ≤ 50 ms; pages p99 ≤ 100 ms with
100 repositories and 100,000 findings) are the yardstick.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "host=127.0.0.1 port=5432 dbname=test user={user} connect_timeout=3"
STAGES = ("plan", "code", "build", "test", "deploy", "release", "operate", "monitor", "pipeline")
SEVERITIES = ("critical", "high", "medium", "low", "info")
RULES = tuple(f"RULE-{n:02d}" for n in range(40))


def pg_schema() -> tuple[str, Callable[[], None]]:
    import psycopg

    for user in ("postgres", "root"):
        try:
            conn = psycopg.connect(PG_ADMIN.format(user=user), autocommit=True)
            break
        except psycopg.OperationalError:
            continue
    else:
        sys.exit("PostgreSQL on 127.0.0.1:5432/test is unreachable; pass --db")
    schema = f"secloop_bench_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()

    options = quote(f"-csearch_path={schema}")
    return f"postgresql+psycopg://{user}@127.0.0.1:5432/test?options={options}", drop


def seed(db: str, repos: int, findings: int) -> str:
    """Repositories with one assessment each; returns a user's password for the dashboard."""
    sys.path.insert(0, str(ROOT / "src"))
    from secloop.core.enums import Confidence, Severity, Stage, Status
    from secloop.core.model import Assessment, Finding, GateOutcome, Location, PracticeResult
    from secloop.server.accounts import Accounts
    from secloop.server.crypto import Signer
    from secloop.store import Store
    from secloop.store.engine import build_engine, migrate, parse_url

    engine = build_engine(parse_url(db))
    migrate(engine)
    store = Store(engine)
    per_repo = findings // repos
    statuses = (Status.PASS, Status.PARTIAL, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE)
    started = time.perf_counter()
    for r in range(repos):
        found = tuple(
            Finding(
                rule_id=RULES[(r + i) % len(RULES)],
                severity=Severity(SEVERITIES[(r * 7 + i) % len(SEVERITIES)]),
                confidence=Confidence.HIGH,
                message="seeded",
                locations=(Location(f"src/mod{i % 97}.py", i % 400 + 1),),
                fingerprint=f"fp-{r}-{i}",
            )
            for i in range(per_repo)
        )
        results = []
        for p in range(50):
            stage = Stage(STAGES[p % len(STAGES)])
            status = statuses[(r + p) % len(statuses)]
            results.append(
                PracticeResult(
                    practice_id=f"{stage.value}.practice-{p}",
                    stage=stage,
                    status=status,
                    score={Status.PASS: 100, Status.PARTIAL: 50}.get(status, 0),
                    summary="seeded",
                    findings=found if p == 0 else (),
                )
            )
        assessment = Assessment(
            target=f"repo-{r:03d}",
            commit=f"{r:040x}",
            created_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=r),
            tool_version="0.1.0",
            config_digest="bench",
            results=tuple(results),
            gate=GateOutcome(False, Severity.HIGH, False, ()),
        )
        document = json.dumps(
            {"schema": "secloop.assessment/v1", "delivery": {"metrics": [], "reason": "bench"}}
        )
        store.save(assessment, document, f"/bench/repo-{r:03d}")
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load (PostgreSQL 13+ vacuums after inserts too): the
        # planner gets the tables' statistics, and index-only scans a visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    password = "bench " + secrets.token_urlsafe(18)
    Accounts(engine, Signer(secrets.token_urlsafe(32))).create_user(
        "bench", password, is_admin=True, actor="bench"
    )
    engine.dispose()
    print(
        f"seeded {repos} repositories, {per_repo * repos} findings in {time.perf_counter() - started:.1f} s"
    )
    return password


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # The product's own command, so the benchmark runs what `secloop serve` runs.
    code = "import typer; from secloop.cli.server import register; a = typer.Typer(); register(a); a()"
    command = [sys.executable, "-c", code, "serve", "--port", str(port), "--workers", str(workers)]
    command.append("--no-access-log")
    process = subprocess.Popen(command, env={**os.environ, **env, "SECLOOP_DB": db})
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)


class Raw:
    """A minimal HTTP/1.1 keep-alive client: on two cores, the load generator must leave the CPU to
    the server (httpx costs about a millisecond of Python per request; this a few microseconds)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _more(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def send(self, request: bytes) -> int:
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._more()
        self.buffer = self.buffer[length:]
        return int(lines[0].split(b" ", 2)[1])

    def close(self) -> None:
        self.sock.close()


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run_load(clients: int, requests: list[bytes], port: int) -> tuple[float, list[float], dict[int, int]]:
    """Send every request once over `clients` keep-alive connections; wall time, latencies (s), statuses."""
    latencies: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(requests)))

    def worker() -> None:
        connection = Raw(port)
        try:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                start = time.perf_counter()
                code = connection.send(requests[index])
                took = time.perf_counter() - start
                with lock:
                    latencies.append(took)
                    codes[code] = codes.get(code, 0) + 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, codes


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by process `root` and its descendants, from /proc.

    On a machine shared with other work, latency swings with the load; the server's own CPU time per
    request does not, so it is printed beside the percentiles."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def webhook_requests(count: int, secret: str) -> list[bytes]:
    out: list[bytes] = []
    for n in range(count):
        body = json.dumps(
            {
                "deployment_status": {
                    "id": n,
                    "state": "success",
                    "environment": "production",
                    "created_at": "2026-11-20T10:00:00Z",
                },
                "deployment": {"sha": f"{n:040x}", "environment": "production", "ref": "main"},
                "repository": {"full_name": f"bench/repo-{n % 100:03d}"},
            }
        ).encode()
        headers = {
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "X-GitHub-Event": "deployment_status",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        out.append(request("POST", "/webhooks/github", headers, body))
    return out


def login(base: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as client:
        page = client.get("/login")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        reply = client.post(
            "/login", data={"username": "bench", "password": password, "csrf": found.group(1)}
        )
        assert reply.status_code == 303, reply.status_code
        return {"secloop_session": client.cookies["secloop_session"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a fresh schema on the local PostgreSQL)")
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--page-requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--page-clients", type=int, default=4)
    args = parser.parse_args()

    drop: Callable[[], None] = lambda: None  # noqa: E731
    db = args.db
    if db is None:
        db, drop = pg_schema()
    secret = secrets.token_urlsafe(24)
    env = {
        "SECLOOP_SECRET_KEY": secrets.token_urlsafe(48),
        "SECLOOP_WEBHOOK_SECRET": secret,
        "SECLOOP_LOGIN_RATE": "100",
    }
    server = None
    try:
        password = seed(db, args.repos, args.findings)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(db, port, args.workers, env)
        cookies = login(base, password)
        with httpx.Client(base_url=base, cookies=cookies) as warm:
            for path in ("/", "/findings", "/repositories/1", "/findings?severity=high"):
                assert warm.get(path).status_code == 200, path
        wall, latencies, codes = run_load(args.clients, webhook_requests(args.events, secret), port)
        assert codes == {202: args.events}, codes
        rate = args.events / wall
        p50, p99 = pct(latencies, 0.5), pct(latencies, 0.99)
        print(
            f"webhooks: {args.events} in {wall:.2f} s = {rate:,.0f} events/s; "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
        pages: dict[str, tuple[float, float]] = {}
        load_before = os.getloadavg()[0]
        middle = f"/repositories/{args.repos // 2 + 1}"
        for path in ("/", middle, "/findings", "/findings?severity=high&page=3"):
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            get = request("GET", path, {"Cookie": cookie})
            # Each server process caches pages until the data changes: a few requests on fresh
            # connections first, so that the percentiles are those of every process's steady state.
            run_load(args.page_clients, [get] * (2 * args.page_clients), port)
            cpu = tree_cpu(server.pid)
            _, took, page_codes = run_load(args.page_clients, [get] * args.page_requests, port)
            cpu = (tree_cpu(server.pid) - cpu) / args.page_requests * 1000
            assert page_codes == {200: args.page_requests}, (path, page_codes)
            pages[path] = (pct(took, 0.5), pct(took, 0.99))
            print(
                f"page {path}: p50 {pages[path][0]:.1f} ms, p99 {pages[path][1]:.1f} ms; "
                f"server CPU {cpu:.1f} ms/request; slowest "
                + ", ".join(f"{t * 1000:.0f}" for t in sorted(took)[-3:])
                + " ms"
            )
        backend = db.split(":", 1)[0]
        print(f"load average (1 min) before the pages {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
        worst = max(p99 for _, p99 in pages.values())
        print()
        print(
            f"| {datetime.now(tz=UTC).date()} | {backend}, {args.workers} server process(es), "
            f"{args.clients}/{args.page_clients} clients, Python {platform.python_version()} | "
            f"{rate:,.0f} events/s | "
            f"{p99:.1f} ms | "
            + " | ".join(f"{page50:.0f} / {page99:.0f} ms" for page50, page99 in pages.values())
            + f" | {worst:.0f} ms |"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop()


if __name__ == "__main__":
    main()
