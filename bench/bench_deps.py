"""Benchmarks of the deps engine (figures go to docs/benchmarks.md, section "Dependencies").

Usage: python bench/bench_deps.py [--runs N] [--zip PATH]

1. range evaluation: every version listed by every record of the OSV PyPI export (140,847 pairs),
   evaluated by the ranges alone with cold caches (events compiled and versions parsed inside the
   timing); goal <= 2 s.
2. index load: `AdvisoryDB.open` + one lookup in a fresh process; goal well under 0.1 s.
3. a 34-package requirements.txt, end to end as a new process (`secloop scan deps --format json`),
   interpreter start included; goal <= 0.5 s.
4. a generated 5,000-package package-lock.json (v3) against 2,000 generated npm advisories, end to
   end as a new process; goal <= 2 s.

Peers: pip-audit cannot run offline (it asks PyPI's JSON API or the OSV API for every package), and
osv-scanner is a Go binary not available here; neither can be timed on the same local database.
Everything generated goes under bench/.work/deps/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "deps"
DEFAULT_ZIP = ROOT.parent / "shared" / "data" / "osv" / "PyPI-all.zip"
SEED = 20261127
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# A shim equal to the wired command: secloop's app plus the deps commands, then secloop's exit mapping.
SHIM = """
import typer
from secloop.cli import deps, main
if not any(getattr(g, "name", None) == "scan" for g in main.app.registered_groups):
    scan = typer.Typer(no_args_is_help=True)
    main.app.add_typer(scan, name="scan")
    deps.register_scan(scan)
    deps.register(main.app)
main.run()
"""


def _secloop() -> list[str]:
    """`secloop` itself once `scan deps` is wired into it, else the equivalent shim."""
    exe = Path(sys.executable).parent / "secloop"
    probe = subprocess.run([str(exe), "scan", "deps", "--help"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [str(exe)]
    return [sys.executable, "-c", SHIM]


def bench_ranges(zip_path: Path, runs: int) -> list[float]:
    from secloop.deps import match
    from secloop.deps.osv import entries_of, to_affected
    from secloop.deps.versions import pep440

    items = []
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            for ecosystem, _, entry in entries_of(json.loads(archive.read(name))):
                items.append((ecosystem, to_affected(entry), sorted(entry[8])))
    pairs = sum(len(v) for _, _, v in items)
    times = []
    for _ in range(runs):
        match._COMPILED.clear()
        pep440._parse.cache_clear()
        start = time.perf_counter()
        agree = 0
        for ecosystem, item, versions in items:
            for version in versions:
                if match.ranges_affect(ecosystem, version, item):
                    agree += 1
        times.append(time.perf_counter() - start)
    print(f"range evaluation: {pairs:,} pairs, {agree:,} affected by the ranges")
    return times


def bench_load(db_dir: Path, runs: int) -> list[float]:
    code = (
        "import time, pathlib\n"
        "t = time.perf_counter()\n"
        "from secloop.deps.db import AdvisoryDB\n"
        "t1 = time.perf_counter()\n"
        f"db = AdvisoryDB.open(pathlib.Path({str(db_dir)!r}))\n"
        "db.lookup('PyPI', 'django')\n"
        "print(time.perf_counter() - t1)\n"
    )
    return [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True).stdout)
        for _ in range(runs)
    ]


def _requirements(db_dir: Path) -> Path:
    from secloop.deps.db import AdvisoryDB

    db = AdvisoryDB.open(db_dir)
    rng = random.Random(SEED)
    names = sorted(db.names("PyPI"))
    chosen = rng.sample(names, 34)
    lines = []
    for name in chosen:
        versions = sorted({v for a in db.lookup("PyPI", name) for v in a.versions})
        lines.append(f"{name}=={versions[len(versions) // 2] if versions else '1.0.0'}")
    folder = WORK / "req34"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "requirements.txt").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def _npm_repo(count: int) -> tuple[Path, Path]:
    rng = random.Random(SEED)
    folder = WORK / f"npm{count}-v2"
    records = WORK / f"npm-advisories-{count}"
    if folder.is_dir() and records.is_dir():
        return folder, records
    shutil.rmtree(records, ignore_errors=True)
    records.mkdir(parents=True)
    packages: dict[str, dict[str, object]] = {"": {"name": "bench", "version": "1.0.0", "dependencies": {}}}
    root_deps: dict[str, str] = {}
    for i in range(count):
        name = f"@bench/pkg-{i:05d}" if i % 7 == 0 else f"bench-pkg-{i:05d}"
        version = f"{rng.randint(0, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"
        key = f"node_modules/{name}" if i % 3 else f"node_modules/bench-parent-{i % 50}/node_modules/{name}"
        packages[key] = {  # the fields npm writes, so the file has a real lockfile's size (about 2.5 MB)
            "version": version,
            "resolved": f"https://registry.npmjs.org/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz",
            "integrity": "sha512-" + "".join(rng.choice(_B64) for _ in range(86)) + "==",
            "license": "MIT",
            "dependencies": {
                f"bench-pkg-{rng.randrange(count):05d}": "^1.0.0" for _ in range(rng.randint(0, 4))
            },
            "engines": {"node": ">=14"},
        }
        if i % 10 == 0:
            root_deps[name] = f"^{version}"
        if i % 5 < 2:  # 2,000 advisories over 2,000 of the packages
            fixed = f"{rng.randint(0, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"
            record = {
                "id": f"BENCH-{i:05d}",
                "modified": "2026-01-01T00:00:00Z",
                "aliases": [f"CVE-2099-{i:05d}"],
                "affected": [
                    {
                        "package": {"ecosystem": "npm", "name": name},
                        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
                    }
                ],
            }
            (records / f"BENCH-{i:05d}.json").write_text(json.dumps(record), "utf-8")
    packages[""]["dependencies"] = root_deps
    folder.mkdir(parents=True, exist_ok=True)
    lock = {"name": "bench", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages}
    (folder / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n", "utf-8")
    return folder, records


def _env(bytecode: bool) -> dict[str, str]:
    """With bytecode: cached .pyc files, as after an install. Without: every module compiled at start."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    else:
        # An empty prefix: the .pyc files next to the sources (if any) are not read, none is written.
        empty = WORK / "no-pycache"
        shutil.rmtree(empty, ignore_errors=True)
        empty.mkdir(parents=True)
        env["PYTHONPYCACHEPREFIX"] = str(empty)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def bench_cli(command: list[str], repo: Path, db_dir: Path, runs: int, *, bytecode: bool) -> list[float]:
    out = WORK / "report.json"
    argv = [*command, "scan", "deps", str(repo), "--db-dir", str(db_dir), "-f", "json", "-o", str(out)]
    argv.append("--no-baseline")
    env = _env(bytecode)
    subprocess.run(
        argv, capture_output=True, check=False, env=env
    )  # warm-up: disk cache (and .pyc if allowed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            sys.exit(f"scan failed ({proc.returncode}): {proc.stderr.decode()}")
    report = json.loads(out.read_text("utf-8"))
    practice = report["practices"][0]
    print(
        f"  {repo.name}: {len(practice['findings'])} findings, {len(practice['skipped'])} not checked; "
        f"{practice['summary'][:90]}"
    )
    return times


def _show(label: str, times: list[float], goal: str) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{label}: min {min(times):.3f} s, median {statistics.median(times):.3f} s, max {max(times):.3f} s"
        f" ({len(times)} runs; goal {goal}; load average {load} after it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--zip", type=Path, default=DEFAULT_ZIP)
    args = parser.parse_args()
    if not args.zip.is_file():
        sys.exit(f"the OSV PyPI export is not at {args.zip}; pass --zip")
    sys.path.insert(0, str(ROOT / "src"))
    from secloop.deps.db import import_osv

    WORK.mkdir(parents=True, exist_ok=True)
    db_dir = WORK / "db"
    shutil.rmtree(db_dir, ignore_errors=True)
    start = time.perf_counter()
    import_osv(args.zip, db_dir)
    print(f"import of {args.zip.name}: {time.perf_counter() - start:.2f} s")
    npm_repo, npm_records = _npm_repo(5000)
    import_osv(npm_records, db_dir)

    _show("1. 140,847 range evaluations (cold caches)", bench_ranges(args.zip, args.runs), "<= 2 s")
    _show("2. index open + one lookup, fresh process", bench_load(db_dir, args.runs), "<< 0.1 s")
    command = _secloop()
    print(f"command: {' '.join(command[:2])}{' <shim>' if len(command) > 2 else ''} scan deps …")
    req = _requirements(db_dir)
    for bytecode, how in ((True, "bytecode cached"), (False, "no bytecode cache")):
        times = bench_cli(command, req, db_dir, args.runs, bytecode=bytecode)
        _show(f"3. 34-package requirements.txt, end to end, {how}", times, "<= 0.5 s")
        times = bench_cli(command, npm_repo, db_dir, args.runs, bytecode=bytecode)
        _show(f"4. 5,000-package package-lock.json, end to end, {how}", times, "<= 2 s")


if __name__ == "__main__":
    main()
