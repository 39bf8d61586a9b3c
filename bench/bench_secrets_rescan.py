"""Re-scan of the whole history after one new commit, with the blob cache warm (goal: ≤ 0.5 s wall).

Usage: python bench/bench_secrets_rescan.py [--repo bench/.work/history-15000] [--runs 5]

The benchmark repository (bench/bench_secrets_repo.py) is never modified: it is cloned with
`--shared` (objects borrowed, nothing copied) into bench/.work/rescan-clone, where each run first adds
one commit with git plumbing, then times `bench/bench_secrets_cli.py CLONE --history` as a new process
(process start included) with SECLOOP_CACHE_DIR pointing at bench/.work/rescan-cache. The findings of
the last warm run are compared with those of a `--no-cache` scan of the same clone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
CLI = BENCH / "bench_secrets_cli.py"
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return proc.stdout.decode().strip()


def one_commit(repo: Path, n: int) -> None:
    oid = git(repo, "hash-object", "-w", "--stdin", stdin=f"rescan note {n} {time.time()}\n".encode())
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{oid},notes/rescan-{n}.txt")
    git(repo, "commit", "-q", "-m", f"rescan commit {n}")


CPU: dict[str, list[float]] = {"terminal": [], "json": []}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scan(repo: Path, env: dict[str, str], *extra: str, fmt: str = "json") -> tuple[float, dict[str, object]]:
    """Wall time of one CLI process; its CPU time (with its git children) goes to CPU[fmt]."""
    out = WORK / f"rescan-report.{fmt}"
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(CLI), str(repo), "--history", "-f", fmt, "-o", str(out), *extra],
        env=env,
        check=False,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    CPU[fmt].append(_children_cpu() - cpu)
    return seconds, json.loads(out.read_text("utf-8")) if fmt == "json" else {}


def finding_keys(report: dict[str, object]) -> list[tuple[str, str, str]]:
    text = json.dumps(report)
    data = json.loads(text)
    keys: list[tuple[str, str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "rule" in node and "fingerprint" in node:
                locations = json.dumps(node.get("locations"), sort_keys=True)
                keys.append((str(node["rule"]), str(node["fingerprint"]), locations))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return sorted(keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=WORK / "history-15000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (args.repo / ".git").exists() and not (args.repo / "HEAD").exists():
        sys.exit(f"{args.repo} is not built: run bench/bench_secrets_repo.py first")
    clone, cache = WORK / "rescan-clone", WORK / "rescan-cache"
    shutil.rmtree(clone, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    subprocess.run(
        ["git", "clone", "-q", "--shared", "--no-checkout", str(args.repo), str(clone)], check=True
    )
    git(clone, "read-tree", "HEAD")
    env = {**os.environ, "SECLOOP_CACHE_DIR": str(cache)}
    home_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "secloop"
    cache.mkdir(parents=True)
    for db in home_cache.glob("secrets-*.hsdb"):  # the compiled rules: no recompilation in the timing
        shutil.copy(db, cache / db.name)
        shutil.copy(db.with_suffix(".json"), cache / db.with_suffix(".json").name)
    cold, _ = scan(clone, env)
    CPU["json"].clear()
    times: list[float] = []
    terminal: list[float] = []
    report: dict[str, object] = {}
    for n in range(args.runs):
        one_commit(clone, 2 * n)
        seconds, _ = scan(clone, env, fmt="terminal")
        terminal.append(seconds)
        one_commit(clone, 2 * n + 1)
        seconds, report = scan(clone, env)
        times.append(seconds)
    cpu_series = {label: list(series) for label, series in CPU.items()}
    uncached, reference = scan(clone, env, "--no-cache")
    found = finding_keys(report)
    same = bool(found) and found == finding_keys(reference)
    print(f"cold scan filling the cache: {cold:.2f} s; --no-cache scan: {uncached:.2f} s")
    for label, series in (("terminal", terminal), ("json", times)):
        listed = ", ".join(f"{t:.2f} s" for t in series)
        print(f"re-scan after one new commit, {label}: {listed} (median {statistics.median(series):.2f} s)")
        cpu = cpu_series[label]
        print(f"  CPU (user+sys, git included): median {statistics.median(cpu):.2f} s, min {min(cpu):.2f} s")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    print(f"{len(found)} findings, identical (rule, fingerprint, locations) to the --no-cache scan: {same}")


if __name__ == "__main__":
    main()
