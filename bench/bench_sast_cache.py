"""Time the SAST analysis cache and diff-aware scans on a copy of secloop's own source.

Usage: env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/bench_sast_cache.py [--runs 3] [--file REL]

Scans a git repository holding a copy of src/secloop: cold (empty cache), warm (nothing changed),
after a one-line change to one file, and `--since HEAD` after that change (the scan at HEAD reuses
the cache for every unchanged file). Each timing is with secloop's own analysis only and with
Bandit as well; the best of --runs is shown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from secloop.sast.cache import AnalysisCache  # noqa: E402
from secloop.sast.scan import read_files, scan_texts  # noqa: E402
from secloop.sast.since import scan_since  # noqa: E402
from secloop.sources.repo import Repo  # noqa: E402


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=b@example.org", "-c", "user.name=b", *args], cwd=root, check=True
    )


def best(runs: int, setup: Callable[[], None], work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        setup()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--file",
        default="secloop/cli/sast.py",
        help="the file to change (default: one nobody imports; others re-analyse the files calling into it)",
    )
    args = parser.parse_args()
    runs = args.runs
    work = Path(tempfile.mkdtemp(prefix="secloop-bench-sast-cache-"))
    repo_dir = work / "repo"
    shutil.copytree(
        ROOT / "src" / "secloop", repo_dir / "secloop", ignore=shutil.ignore_patterns("__pycache__")
    )
    _git(repo_dir, "init", "-q", "-b", "main")
    _git(repo_dir, "add", ".")
    _git(repo_dir, "commit", "-q", "-m", "copy")
    target = repo_dir / args.file
    original = target.read_text("utf-8")
    cache_dir = work / "cache"
    os.environ["SECLOOP_CACHE_DIR"] = str(cache_dir)

    def scan(bandit: bool) -> Callable[[], object]:
        def run() -> object:
            repo = Repo(repo_dir)
            texts, skipped = read_files(repo)
            return scan_texts(repo.root, texts, skipped, bandit=bandit, cache=AnalysisCache())

        return run

    def since(bandit: bool) -> Callable[[], object]:
        def run() -> object:
            repo = Repo(repo_dir)
            texts, skipped = read_files(repo)
            cache = AnalysisCache()
            scan_texts(repo.root, texts, skipped, bandit=bandit, cache=cache)
            return scan_since(repo.root, "HEAD", texts, bandit=bandit, cache=cache)

        return run

    def cold() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)
        target.write_text(original, "utf-8")

    def warm() -> None:
        target.write_text(original, "utf-8")
        scan(True)()

    counter = [0]

    def one_change() -> None:
        warm()
        counter[0] += 1
        target.write_text(original + f"\nCHANGED = {counter[0]}\n", "utf-8")

    files = len(read_files(Repo(repo_dir))[0])
    print(f"copy of src/secloop: {files} Python files; the changed file: {args.file}; best of {runs}")
    for bandit in (False, True):
        label = "taint + checks + Bandit" if bandit else "taint + checks"
        print(f"\n{label}")
        print(f"  cold (empty cache)        {best(runs, cold, scan(bandit)):6.2f} s")
        print(f"  warm (nothing changed)    {best(runs, warm, scan(bandit)):6.2f} s")
        print(f"  one file changed          {best(runs, one_change, scan(bandit)):6.2f} s")
        print(f"  one file changed, --since {best(runs, one_change, since(bandit)):6.2f} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
