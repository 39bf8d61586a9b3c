"""Time `secloop scan pipeline` side by side with zizmor on the same 551 real-world workflows.

Usage: python bench/bench_pipeline.py [--runs N]

Input: ../shared/data/workflows/github-realworld-dev.zip (551 workflow files of public projects),
extracted once into bench/.work/pipeline/corpus/.github/workflows/ (git-ignored).

zizmor runs from the bench-only virtual environment bench/.work/venv-peers (`pip install zizmor`
there; never a dependency of secloop) as `zizmor --offline --format json DIR`; secloop as
`secloop scan pipeline DIR --format json --fail-on none`. Both run once untimed (file cache,
bytecode), then `--runs` times each, interleaved so both see the same load. The median wall time of
each and the ratio are printed, with the number of findings each reported (the rule sets differ:
the counts say what each found, not who is right).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS_ZIP = ROOT.parent / "shared" / "data" / "workflows" / "github-realworld-dev.zip"
WORK = HERE / ".work" / "pipeline" / "corpus"
ZIZMOR = HERE / ".work" / "venv-peers" / "bin" / "zizmor"
SECLOOP = ROOT / ".venv" / "bin" / "secloop"


def corpus() -> Path:
    target = WORK / ".github" / "workflows"
    if not target.is_dir():
        target.mkdir(parents=True)
        with zipfile.ZipFile(CORPUS_ZIP) as archive:
            for name in archive.namelist():
                if name.endswith((".yml", ".yaml")):
                    (target / Path(name).name).write_bytes(archive.read(name))
    return WORK


def timed(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (GNU time's %M) and stdout of one run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.NamedTemporaryFile(suffix=".time") as report:
        command = ["/usr/bin/time", "-f", "%M", "-o", report.name, *argv]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 1, 10, 11, 12, 13, 14):
            raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
        peak_kb = int(Path(report.name).read_text().split()[-1])
    return elapsed, peak_kb / 1024, done.stdout


def secloop_findings(out: str) -> int:
    return sum(len(p["findings"]) for p in json.loads(out)["practices"])


def zizmor_findings(out: str) -> int:
    return len(json.loads(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not ZIZMOR.exists():
        raise SystemExit(f"zizmor is not installed: {ZIZMOR.parent}/pip install zizmor")
    target = corpus()
    files = len(list((target / ".github" / "workflows").iterdir()))
    ours = [str(SECLOOP), "scan", "pipeline", str(target), "-f", "json", "--fail-on", "none"]
    theirs = [str(ZIZMOR), "--offline", "--format", "json", str(target)]
    version = subprocess.run([str(ZIZMOR), "--version"], capture_output=True, text=True, check=True)
    our_out = timed(ours)[2]
    their_out = timed(theirs)[2]
    our_runs = []
    their_runs = []
    for _ in range(args.runs):
        our_runs.append(timed(ours))
        their_runs.append(timed(theirs))
    ours_median = statistics.median(r[0] for r in our_runs)
    theirs_median = statistics.median(r[0] for r in their_runs)
    our_rss = max(r[1] for r in our_runs)
    their_rss = max(r[1] for r in their_runs)
    print(f"{files} workflows; {version.stdout.strip()}; {args.runs} runs each, interleaved")
    print(
        f"secloop scan pipeline: median {ours_median:.3f} s, peak RSS {our_rss:.0f} MB, "
        f"{secloop_findings(our_out)} findings"
    )
    print(
        f"zizmor --offline:      median {theirs_median:.3f} s, peak RSS {their_rss:.0f} MB, "
        f"{zizmor_findings(their_out)} findings"
    )
    ratio = theirs_median / ours_median
    print(f"ratio (zizmor / secloop): {ratio:.2f}x {'faster' if ratio >= 1 else 'slower'}")


if __name__ == "__main__":
    main()
