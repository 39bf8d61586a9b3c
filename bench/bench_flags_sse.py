"""How fast a kill switch reaches every subscribed client of the flag service (loopback).

Usage: python bench/bench_flags_sse.py [--clients 20] [--toggles 20]

A real uvicorn serves the app (`create_app` with SECLOOP_FLAGS_FILE-style settings, SQLite) in its
own process on a free 127.0.0.1 port. This process starts `--clients` `FlagClient`s in stream mode
(each its own HTTP connection and thread, holding /api/v1/flags/stream open), then flips the kill
switch `--toggles` times (off, on, off, ...) through POST /api/v1/flags/{name}/toggle with a WRITE
token. For each toggle it measures, per client, the time from sending the POST to the client's
engine answering the new state. It prints p50/p99/max over all (toggle, client) pairs and the
slowest toggle's "every client" time. Goal from issue 10: every client within 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from secloop.release.flags.client import FlagClient  # noqa: E402
from secloop.release.flags.engine import Engine  # noqa: E402

FLAGS = ROOT / "tests" / "fixtures" / "flags" / "flags.yaml"
KILL = "payments-kill-switch"

SERVER = r"""
import json, secrets, socket, sys
import uvicorn
from secloop.server import Settings, create_app
from secloop.server.crypto import Scope
db, flags = sys.argv[1], sys.argv[2]
settings = Settings(db=db, secret_key=secrets.token_urlsafe(48), flags_file=flags, api_rate_per_minute=10**6)
app = create_app(settings)
accounts = app.state.secloop.accounts
tokens = {"read": accounts.create_token("bench-read", (Scope.READ,), actor="bench"),
          "write": accounts.create_token("bench-write", (Scope.WRITE,), actor="bench")}
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
print(json.dumps({"port": sock.getsockname()[1], **tokens}), flush=True)
config = uvicorn.Config(app, log_level="error", access_log=False)
uvicorn.Server(config).run(sockets=[sock])
"""


def post_toggle(port: int, token: str, enabled: bool) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"environment": "default", "enabled": enabled})
    conn.request(
        "POST",
        f"/api/v1/flags/{KILL}/toggle",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"toggle failed: {response.status}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--toggles", type=int, default=20)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="secloop-flags-sse-"))
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, f"sqlite:///{work / 'server.db'}", str(FLAGS)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        port = info["port"]
        url = f"http://127.0.0.1:{port}"
        state = {"expected": True, "sent": 0.0}
        latencies: list[list[float]] = [[] for _ in range(args.toggles)]
        arrived = threading.Condition()
        counts = [0] * args.toggles

        def watcher(round_box: list[int]) -> Callable[[Engine], None]:
            def changed(engine: Engine) -> None:
                now = time.perf_counter()
                current = round_box[0]
                if current < 0 or engine.is_enabled(KILL) != state["expected"]:
                    return
                with arrived:
                    if current >= 0 and len(latencies[current]) < args.clients:
                        latencies[current].append(now - state["sent"])
                        counts[current] += 1
                        arrived.notify_all()

            return changed

        round_box = [-1]
        clients = [FlagClient(url, info["read"]) for _ in range(args.clients)]
        for client in clients:
            client.on_change = watcher(round_box)
            client.start("stream")
        # the first request of each token runs argon2 once: connecting is slow, toggles are not
        if not all(c.wait_ready(120) for c in clients):
            raise SystemExit("not every client connected")
        time.sleep(0.3)
        for index in range(args.toggles):
            enabled = index % 2 == 1  # off, on, off, ...
            state["expected"] = enabled
            round_box[0] = index
            state["sent"] = time.perf_counter()
            post_toggle(port, info["write"], enabled)
            with arrived:
                arrived.wait_for(lambda: counts[index] >= args.clients, timeout=10)  # noqa: B023
            if counts[index] < args.clients:
                raise SystemExit(
                    f"toggle {index}: only {counts[index]} of {args.clients} clients saw it in 10 s"
                )
            time.sleep(0.05)
    finally:
        for client in locals().get("clients", []):
            client.stop()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    every = sorted(max(r) * 1000 for r in latencies)
    pairs = sorted(x * 1000 for r in latencies for x in r)
    p99 = pairs[min(len(pairs) - 1, int(len(pairs) * 0.99))]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}, load average {load}")
    print(f"{args.clients} SSE clients, {args.toggles} toggles of '{KILL}' on a real uvicorn (127.0.0.1)")
    print(f"per client: p50 {statistics.median(pairs):.1f} ms, p99 {p99:.1f} ms, max {pairs[-1]:.1f} ms")
    print(f"every client reached: p50 {statistics.median(every):.1f} ms, worst toggle {every[-1]:.1f} ms")
    print(f"goal: every client within 2000 ms: {'met' if every[-1] <= 2000 else 'MISSED'}")


if __name__ == "__main__":
    main()
