"""Wall time of `git push` into a bare repository whose pre-receive hook is secloop's.

Usage: python bench/bench_hook_receive.py [--files 3000] [--runs 5]

Each run builds a fresh bare server under bench/.work/hook-receive, pushes the base history into it
before the hook is installed (a repository that already holds a file with a known secret and a
baseline listing it), installs `secloop hook install pre-receive`, then times three pushes, each a
new process chain (git push -> receive-pack -> hook):

- clean: one commit that edits one small file;
- baselined: one commit that edits the file holding the baselined secret (a new blob with the same
  secret: rejected unless the hook applies the baseline of the old tip);
- bulk: a new branch whose one commit adds --files new files (the scan's throughput).

Wall and CPU time (git's and the hook's; CPU varies less on a loaded machine) are printed with the
exit codes of the pushes. The secret is built at run time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work" / "hook-receive"
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
SECRET = "AK" + "IA" + "QX3FJ7RPLK2MZB5T"


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=check,
        env={**os.environ, **GIT_ENV},
    )


def baseline_text() -> str:
    from secloop.core.baseline import Baseline, dump_baseline
    from secloop.secrets.scan import get_engine, scan_paths

    scan = scan_paths([("config/legacy.py", legacy(0).encode())], get_engine())
    assert scan.findings, "the bench secret is not detected"
    return dump_baseline(Baseline.from_findings(scan.findings))


def legacy(revision: int) -> str:
    return f'# legacy settings, revision {revision}\nAWS_ACCESS_KEY_ID = "{SECRET}"\n'


def filler(index: int) -> str:
    return "".join(f"def handler_{index}_{n}(event):\n    return event.get('id', {n})\n\n" for n in range(30))


def build_work(files: int) -> Path:
    work = WORK / "work"
    if work.exists():
        return work
    git(WORK, "init", "-q", str(work))
    for index in range(200):
        path = work / "src" / f"mod_{index:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(filler(index), "utf-8")
    (work / "config").mkdir()
    (work / "config" / "legacy.py").write_text(legacy(0), "utf-8")
    (work / ".secloop").mkdir()
    (work / ".secloop" / "baseline.json").write_text(baseline_text(), "utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "base")
    git(work, "branch", "base")
    for index in range(files):
        path = work / "bulk" / f"file_{index:05d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(filler(10_000 + index), "utf-8")
    git(work, "checkout", "-q", "-b", "bulk")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "bulk")
    git(work, "checkout", "-q", "main")
    return work


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_push(work: Path, *refspec: str) -> tuple[float, float, int]:
    """Wall and CPU seconds (git and the hook; CPU varies less on a shared machine) and the exit code."""
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = git(work, "push", "-q", "server", *refspec, check=False)
    return time.perf_counter() - started, _children_cpu() - cpu, proc.returncode


def one_run(work: Path, run: int) -> dict[str, tuple[float, float, int]]:
    bare = WORK / "server.git"
    shutil.rmtree(bare, ignore_errors=True)
    git(WORK, "init", "-q", "--bare", str(bare))
    git(work, "remote", "remove", "server", check=False)
    git(work, "remote", "add", "server", str(bare))
    git(work, "checkout", "-q", "-B", "main", "base")
    git(work, "push", "-q", "server", "main")
    subprocess.run(
        [sys.executable, "-m", "secloop.cli.hook", "install", "pre-receive", "--repo", str(bare)],
        check=True,
        capture_output=True,
    )
    times: dict[str, tuple[float, float, int]] = {}
    (work / "src" / "mod_0000.py").write_text(filler(0) + f"# run {run}\n", "utf-8")
    git(work, "commit", "-q", "-am", "clean change")
    times["clean"] = timed_push(work, "main")
    (work / "config" / "legacy.py").write_text(legacy(run + 1), "utf-8")
    git(work, "commit", "-q", "-am", "touch legacy settings")
    times["baselined"] = timed_push(work, "main")
    times["bulk"] = timed_push(work, "bulk")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK / "work", ignore_errors=True)
    work = build_work(args.files)
    results = [one_run(work, run) for run in range(args.runs)]
    for name in ("clean", "baselined", "bulk"):
        walls = [r[name][0] for r in results]
        cpus = [r[name][1] for r in results]
        codes = sorted({r[name][2] for r in results})
        print(
            f"{name:<10} wall median {statistics.median(walls):.3f} s (min {min(walls):.3f})  "
            f"cpu median {statistics.median(cpus):.3f} s (min {min(cpus):.3f})  exit {codes}"
        )


if __name__ == "__main__":
    main()
