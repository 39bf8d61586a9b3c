"""Time `secloop scan iac` side by side with Checkov on the same generated Terraform.

Usage: python bench/bench_iac.py [--runs N] [--skip-peer]

Inputs, generated once under bench/.work/iac/ (git-ignored) by `bench_iac_project.py`:

- `single/`: one project of about 2,700 lines, 135 resources, 50 files (a root module calling nine
  local modules);
- `twenty/`: twenty identical copies of it (what a monorepo of copied stacks looks like; secloop
  checks identical folders once and reports each copy);
- `twenty-distinct/`: twenty copies that differ by a comment line, so no two files are the same and
  every copy is parsed: the raw throughput;
- `empty/`: nothing, for the start-up time.

Checkov 3.3.30 runs from its own virtual environment, bench/.work/venv-peers-iac (created here with
pip when missing; never a dependency of secloop), as
`checkov -d DIR --framework terraform --quiet --compact`; secloop as
`secloop scan iac DIR --format json --output FILE`. Both run once untimed to warm the file cache and
write bytecode, then `--runs` times each, interleaved so both see the same machine load, under
`/usr/bin/time -v`: the median wall time and the largest peak RSS are reported, with the ratio.
PYTHONDONTWRITEBYTECODE is removed from the environment of both: an installed tool has its bytecode.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "iac"
PEERS = HERE / ".work" / "venv-peers-iac"
CHECKOV_VERSION = "3.3.30"
COPIES = 20

sys.path.insert(0, str(ROOT))
from bench.bench_iac_project import write_project  # noqa: E402

# Until `scan` is wired into secloop's main app, the command is mounted on it here, the same way.
RUNNER = (
    "import sys, typer\n"
    "from secloop.cli.iac import register_scan\n"
    "from secloop.cli.main import app, run\n"
    "scan = typer.Typer()\n"
    "register_scan(scan)\n"
    "app.add_typer(scan, name='scan')\n"
    "run(sys.argv[1:])\n"
)


@dataclass(frozen=True)
class Sample:
    wall: float
    rss_mb: float


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def ensure_checkov() -> Path:
    binary = PEERS / "bin" / "checkov"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run(
            [str(PEERS / "bin" / "pip"), "install", "-q", f"checkov=={CHECKOV_VERSION}"], check=True
        )
    return binary


def datasets() -> dict[str, Path]:
    done = WORK / ".done"
    paths = {name: WORK / name for name in ("single", "twenty", "twenty-distinct", "empty")}
    if not done.exists():
        shutil.rmtree(WORK, ignore_errors=True)
        write_project(paths["single"])
        for i in range(1, COPIES + 1):
            write_project(paths["twenty"] / f"copy{i:02d}")
            write_project(paths["twenty-distinct"] / f"copy{i:02d}", marker=f"copy {i}")
        paths["empty"].mkdir(parents=True)
        done.write_text("ok\n")
    return paths


def secloop_command() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "secloop"
    probe = subprocess.run([str(exe), "scan", "iac", "--help"], capture_output=True, env=_env(), check=False)
    if probe.returncode == 0:
        return [str(exe), "scan", "iac"]
    return [str(ROOT / ".venv" / "bin" / "python"), "-c", RUNNER, "scan", "iac"]


def timed(command: list[str]) -> tuple[Sample, str]:
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=_env(), check=False
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    wall = re.search(
        r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", proc.stderr
    )
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    assert wall is not None and rss is not None, proc.stderr[-500:]
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return Sample(seconds, int(rss.group(1)) / 1024), proc.stdout


def tree_size(folder: Path) -> tuple[int, int, int]:
    files = list(folder.rglob("*.tf"))
    lines = sum(p.read_text("utf-8").count("\n") for p in files)
    resources = sum(len(re.findall(r"^(?:resource|data) ", p.read_text("utf-8"), re.M)) for p in files)
    return len(files), lines, resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-peer", action="store_true", help="time secloop only")
    args = parser.parse_args()
    paths = datasets()
    checkov = None if args.skip_peer else ensure_checkov()
    ours = secloop_command()
    report = WORK / "report.json"
    print(f"machine: {os.cpu_count()} cores; secloop command: {' '.join(ours[:3])} …")
    rows = []
    for name in ("empty", "single", "twenty", "twenty-distinct"):
        folder = paths[name]
        commands = {"secloop": [*ours, str(folder), "--format", "json", "--output", str(report)]}
        if checkov is not None:
            commands["checkov"] = [
                str(checkov),
                "-d",
                str(folder),
                "--framework",
                "terraform",
                "--quiet",
                "--compact",
            ]
        samples: dict[str, list[Sample]] = {tool: [] for tool in commands}
        outputs: dict[str, str] = {}
        for command in commands.values():
            timed(command)  # warm-up
        for _ in range(args.runs):
            for tool, command in commands.items():
                sample, out = timed(command)
                samples[tool].append(sample)
                outputs[tool] = out
        files, lines, resources = tree_size(folder)
        found = "-"
        if name != "empty":
            doc = json.loads(report.read_text("utf-8"))
            found = str(sum(len(p["findings"]) for p in doc["practices"]))
        failed = re.search(r"Failed checks: (\d+)", outputs.get("checkov", ""))
        row: dict[str, Any] = {
            "input": name,
            "files": files,
            "lines": lines,
            "resources": resources,
            "secloop_s": statistics.median(s.wall for s in samples["secloop"]),
            "secloop_mb": max(s.rss_mb for s in samples["secloop"]),
            "secloop_findings": found,
        }
        if "checkov" in samples:
            row |= {
                "checkov_s": statistics.median(s.wall for s in samples["checkov"]),
                "checkov_mb": max(s.rss_mb for s in samples["checkov"]),
                "checkov_failed": failed.group(1) if failed else "-",
            }
            row["ratio"] = row["checkov_s"] / row["secloop_s"]
        rows.append(row)
        print(json.dumps(row))
    print()
    print("| input | files | lines | resources | checkov | secloop | ratio | checkov peak | secloop peak |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['ratio']:.1f}×" if "ratio" in r else "-"
        checkov_s = f"{r['checkov_s']:.2f} s" if "checkov_s" in r else "-"
        checkov_mb = f"{r['checkov_mb']:.0f} MB" if "checkov_mb" in r else "-"
        print(
            f"| {r['input']} | {r['files']:,} | {r['lines']:,} | {r['resources']:,} | {checkov_s} | "
            f"{r['secloop_s']:.2f} s | {ratio} | {checkov_mb} | {r['secloop_mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
