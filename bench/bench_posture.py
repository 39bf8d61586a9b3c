"""Posture: what the offline git facts cost `secloop assess`, and what the ETag cache saves a second run.

1. `local_facts` (reviewed share of the mainline + maintenance activity) on a large history.
2. A whole GitHub posture fetched from a local fake API serving the recorded payloads of
   tests/fixtures/posture, cold (empty HTTP cache) and warm (every answer revalidated by ETag, 304).

No peer tool: Scorecard needs the real GitHub API. Usage:
    .venv/bin/python bench/bench_posture.py [--repo PATH] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secloop.pipeline.posture.client import ApiClient  # noqa: E402
from secloop.pipeline.posture.github import fetch_github  # noqa: E402
from secloop.pipeline.posture.localgit import local_facts  # noqa: E402
from secloop.sources.repo import Repo  # noqa: E402
from tests.pipeline.posture.conftest import TOKEN_VALUE, FakeApi, _handler, github_routes  # noqa: E402


def timed(fn: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    default = ROOT / "bench" / ".work" / "history-15000"
    parser.add_argument("--repo", type=Path, default=default if default.exists() else ROOT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    repo = Repo(args.repo)
    now = datetime.now(tz=UTC)
    facts = local_facts(repo, now)
    times = timed(lambda: local_facts(Repo(args.repo), now), args.runs)
    print(f"local_facts on {args.repo} ({facts.landing.window if facts.landing else 'no history'}):")
    print(f"  min {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms")

    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    github_routes(api)
    for i, route in enumerate(api.routes.values()):
        route.etag = f'W/"{i}"'
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "warm"):
            client = ApiClient("github", api.url, TOKEN_VALUE, Path(cache))
            start = time.perf_counter()
            fetch_github(client, "acme/widget", None, now)
            took = time.perf_counter() - start
            print(
                f"fetch {label}: {client.requests} requests, {client.revalidated} answered 304, "
                f"{took * 1000:.0f} ms"
            )
    server.shutdown()


if __name__ == "__main__":
    main()
