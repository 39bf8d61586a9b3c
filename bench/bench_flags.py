"""Flag evaluation speed: secloop's engine and UnleashClient 6.9.1 on the same flag and contexts.

Usage: python bench/bench_flags.py [--contexts 10000] [--batches 200] [--batch 1000]

The flag is `new-checkout` of tests/fixtures/flags/flags.yaml: a gradual rollout (flexibleRollout,
25 %, default stickiness) with one constraint (country IN [DE, FR]). The contexts are `--contexts`
distinct user ids, 2 in 3 from DE or FR, so both the constraint and the murmur3 bucketing run.

secloop runs here (pure Python, flags compiled to closures). UnleashClient runs in the peer
environment bench/.work/venv-peers (`python3 -m venv bench/.work/venv-peers &&
bench/.work/venv-peers/bin/pip install UnleashClient==6.9.1`), in a subprocess, bootstrapped offline
with the same flag exported as Unleash's client features document (`secloop flags export`), metrics
and registration off, no toggle fetching. Both sides time `--batches` batches of `--batch` calls
cycling through the same contexts, and report the median (p50) and the best batch's time per call.
Both must give the same answers on every context; the script checks that first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from secloop.release.flags.engine import Engine  # noqa: E402
from secloop.release.flags.loader import load_flags  # noqa: E402
from secloop.release.flags.unleash import to_unleash  # noqa: E402

FLAGS = ROOT / "tests" / "fixtures" / "flags" / "flags.yaml"
PEERS = ROOT / "bench" / ".work" / "venv-peers" / "bin" / "python"
FLAG = "new-checkout"

TIMER = r"""
import statistics, time
def timed(call, contexts, batches, batch):
    n = len(contexts)
    samples = []
    position = 0
    for _ in range(batches):
        chunk = [contexts[(position + i) % n] for i in range(batch)]
        position += batch
        start = time.perf_counter_ns()
        for ctx in chunk:
            call(FLAG, ctx)
        samples.append((time.perf_counter_ns() - start) / batch / 1000)
    return statistics.median(samples), min(samples)
"""

PEER = (
    r"""
import json, sys, logging
logging.disable(logging.CRITICAL)
from UnleashClient import UnleashClient
from UnleashClient.cache import FileCache
features, contexts_file, cache_dir = sys.argv[1:4]
batches, batch = int(sys.argv[4]), int(sys.argv[5])
FLAG = "new-checkout"
cache = FileCache("bench", directory=cache_dir)
cache.bootstrap_from_dict(json.load(open(features)))
client = UnleashClient(url="http://127.0.0.1:9", app_name="bench", disable_metrics=True,
                       disable_registration=True, cache=cache)
client.initialize_client(fetch_toggles=False)
raw = json.load(open(contexts_file))
contexts = [{"userId": c["userId"], "properties": {"country": c["country"]}} for c in raw]
answers = [client.is_enabled(FLAG, c) for c in contexts]
"""
    + TIMER
    + r"""
p50, best = timed(client.is_enabled, contexts, batches, batch)
print(json.dumps({"p50": p50, "best": best, "answers": answers}))
client.destroy()
"""
)


def timed(
    call: Callable[[str, dict[str, str]], bool], contexts: list[dict[str, str]], batches: int, batch: int
) -> tuple[float, float]:
    scope: dict[str, object] = {"FLAG": FLAG}
    exec(TIMER, scope)  # noqa: S102 - the same timing code as the peer's, verbatim
    run = scope["timed"]
    assert callable(run)
    result = run(call, contexts, batches, batch)
    return float(result[0]), float(result[1])


def peer_run(flags_json: Path, contexts: list[dict[str, str]], batches: int, batch: int) -> dict[str, object]:
    work = flags_json.parent
    (work / "contexts.json").write_text(json.dumps(contexts))
    done = subprocess.run(
        [
            str(PEERS),
            "-c",
            PEER,
            str(flags_json),
            str(work / "contexts.json"),
            str(work / "cache"),
            str(batches),
            str(batch),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contexts", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if not PEERS.exists():
        raise SystemExit(f"no peer environment at {PEERS}; see this script's docstring")
    version = subprocess.run(
        [str(PEERS), "-c", "import importlib.metadata as m; print(m.version('UnleashClient'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    flags = load_flags(FLAGS, "flags.yaml")
    engine = Engine(flags)
    work = Path(tempfile.mkdtemp(prefix="secloop-bench-flags-"))
    features = work / "features.json"
    features.write_text(json.dumps(to_unleash(flags, "default")))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"flag '{FLAG}': flexibleRollout 25 %, default stickiness, 1 constraint (country IN [DE, FR])")
    agree_all = True
    ratios: list[float] = []
    medians: list[float] = []
    mixes = {
        "mixed (2 in 3 match the constraint)": ["DE", "FR", "US"],
        "every context matches (every call hashes)": ["DE", "FR"],
    }
    for label, countries in mixes.items():
        contexts = [
            {"userId": f"user-{n}", "country": countries[n % len(countries)]} for n in range(args.contexts)
        ]
        ours = [engine.is_enabled(FLAG, c) for c in contexts]
        p50, best = timed(engine.is_enabled, contexts, args.batches, args.batch)
        peer = peer_run(features, contexts, args.batches, args.batch)
        agree = peer["answers"] == ours
        agree_all = agree_all and agree
        peer_p50 = float(peer["p50"])  # type: ignore[arg-type]
        peer_best = float(peer["best"])  # type: ignore[arg-type]
        ratios.append(peer_p50 / p50)
        medians.append(p50)
        print(f"\n{label}: {len(contexts)} contexts, {sum(ours)} enabled")
        print(f"  same answer on every context: {'yes' if agree else 'NO'}")
        print(f"  secloop               is_enabled: p50 {p50:.2f} us, best batch {best:.2f} us")
        print(
            f"  UnleashClient {version:<7} is_enabled: p50 {peer_p50:.2f} us, best batch {peer_best:.2f} us"
        )
        print(f"  ratio (UnleashClient p50 / secloop p50): {peer_p50 / p50:.1f}x")
    fast = "met" if max(medians) <= 3 else "MISSED"
    ratio = "met" if min(ratios) >= 10 else "MISSED"
    print(f"\ngoals: p50 <= 3 us: {fast} (worst {max(medians):.2f} us); ", end="")
    print(f">= 10x: {ratio} (least {min(ratios):.1f}x)")
    if not agree_all:
        raise SystemExit(1)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - started:.1f} s)")
