"""Time the delivery metrics on a generated history of 80,000 commits and over 400 release tags.

Usage: python bench/bench_dora.py [--commits N] [--runs N]

The repository is generated once with `git fast-import` and cached under bench/.work/dora-N/
(git-ignored): a trunk of direct commits, squash merges ("… (#N)") and merged pull-request branches
of one to four commits, a revert now and then, an annotated release tag every 110 trunk commits
(every tenth a patch release), and an events file with one incident per ten releases (half naming the
deployment's sha, half to be linked by time). The content is deterministic (fixed seed, identities
and dates).

Each run, in a fresh process, times the raw read (`git log --format=%H %P %at %ct %s` over every tag
and HEAD, output discarded), then secloop's pipeline end to end: reading git and the events file,
attributing every commit to the deployment that first shipped it, the six DORA metrics with their
sensitivity bands, and the trunk statistics of `build.trunk-based`. It prints each stage, the total
and the ratio to the raw read.

The peer comparison (churn against PyDriller) is bench/bench_churn.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
SEED = 20260803
START = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
TAG_EVERY = 110
CHUNK = 10_000
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C", "TZ": "UTC"}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, env=_env(), check=True
    )
    return done.stdout.decode()


class Stream:
    """Writes one fast-import chunk; marks are commit numbers, so later chunks can revert earlier commits."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def data(self, text: str) -> None:
        raw = text.encode()
        self.parts.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(self, mark: int, parents: list[int], when: datetime, author: datetime, message: str) -> None:
        who = "Dev <dev@example.invalid>"
        self.parts.append(
            f"commit refs/heads/main\nmark :{mark}\nauthor {who} {int(author.timestamp())} +0000\n"
            f"committer {who} {int(when.timestamp())} +0000\n".encode()
        )
        self.data(message)
        if parents:
            self.parts.append(f"from :{parents[0]}\n".encode())
        for other in parents[1:]:
            self.parts.append(f"merge :{other}\n".encode())
        self.parts.append(f"M 100644 inline src/module{mark % 97}.py\n".encode())
        self.data(f"VALUE = {mark}\n")

    def branch_commit(self, mark: int, parent: int, when: datetime, message: str) -> None:
        """A commit on a topic branch (refs/heads/topic), later merged into main."""
        who = "Dev <dev@example.invalid>"
        stamp = int(when.timestamp())
        self.parts.append(
            f"commit refs/heads/topic\nmark :{mark}\n"
            f"author {who} {stamp} +0000\ncommitter {who} {stamp} +0000\n".encode()
        )
        self.data(message)
        self.parts.append(f"from :{parent}\nM 100644 inline topic/file{mark % 53}.py\n".encode())
        self.data(f"TOPIC = {mark}\n")

    def tag(self, name: str, mark: int, when: datetime) -> None:
        self.parts.append(
            f"tag {name}\nfrom :{mark}\n"
            f"tagger Release <release@example.invalid> {int(when.timestamp())} +0000\n".encode()
        )
        self.data(f"Release {name}")

    def bytes(self) -> bytes:
        return b"".join(self.parts) + b"done\n"


def _marks(repo: Path) -> dict[int, str]:
    marks = {}
    for line in (repo / "marks").read_text().splitlines():
        mark, sha = line.split()
        marks[int(mark[1:])] = sha
    return marks


def generate(repo: Path, commits: int) -> None:
    rng = random.Random(SEED)
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    mark, moment, trunk = 0, START, 0
    head = 0
    major, minor, patch = 1, 0, 0
    tags: list[tuple[str, int, datetime]] = []
    subjects: dict[int, str] = {}
    while mark < commits:
        stream = Stream()
        marks = _marks(repo) if (repo / "marks").exists() else {}
        chunk_end = min(commits, mark + CHUNK)
        while mark < chunk_end:
            moment += timedelta(minutes=rng.randint(4, 30))
            roll = rng.random()
            if roll < 0.25 and head:  # a pull-request branch, merged with a merge commit
                topic_parent = head
                for _ in range(rng.randint(1, 4)):
                    mark += 1
                    stream.branch_commit(
                        mark, topic_parent, moment - timedelta(hours=rng.randint(1, 30)), f"Topic work {mark}"
                    )
                    topic_parent = mark
                mark += 1
                stream.commit(
                    mark,
                    [head, topic_parent],
                    moment,
                    moment,
                    f"Merge pull request #{mark} from dev/topic-{mark}",
                )
            elif roll < 0.27 and marks and head:  # a revert of an earlier trunk commit
                target = rng.choice([m for m in list(subjects)[-400:] if m in marks] or [0])
                mark += 1
                if target:
                    message = f'Revert "{subjects[target]}"\n\nThis reverts commit {marks[target]}.\n'
                else:
                    message = f"Change {mark}"
                stream.commit(mark, [head], moment, moment, message)
            else:
                mark += 1
                subject = f"Change {mark} (#{mark})" if roll < 0.6 else f"Change {mark}"
                stream.commit(mark, [head] if head else [], moment, moment, subject)
                subjects[mark] = subject
            head = mark
            trunk += 1
            if trunk % TAG_EVERY == 0:
                if len(tags) % 10 == 9:
                    patch += 1
                else:
                    minor, patch = minor + 1, 0
                if minor == 20:
                    major, minor = major + 1, 0
                name = f"v{major}.{minor}.{patch}"
                when = moment + timedelta(hours=rng.randint(1, 3))
                stream.tag(name, head, when)
                tags.append((name, head, when))
        subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "fast-import",
                "--quiet",
                "--export-marks=marks",
                "--import-marks-if-exists=marks",
            ],
            input=stream.bytes(),
            env=_env(),
            check=True,
        )
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    marks = _marks(repo)
    lines = []
    for number, (_name, tip, when) in enumerate(tags):
        if number % 10 != 4:
            continue
        opened = when + timedelta(hours=rng.randint(1, 48))
        record = {"type": "incident", "id": f"INC-{number}", "opened": _iso(opened)}
        record["resolved"] = _iso(opened + timedelta(minutes=rng.randint(20, 1800)))
        if number % 20 == 4:
            record["deployment_sha"] = marks[tip]
        lines.append(json.dumps(record))
    (repo / ".secloop").mkdir(exist_ok=True)
    (repo / ".secloop" / "events.jsonl").write_text("\n".join(lines) + "\n")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ensure_repo(commits: int) -> Path:
    WORK.mkdir(exist_ok=True)
    repo, marker = WORK / f"dora-{commits}", WORK / f"dora-{commits}.done"
    if not marker.exists():
        if repo.exists():
            subprocess.run(["rm", "-rf", str(repo)], check=True)
        started = time.perf_counter()
        generate(repo, commits)
        marker.write_text("ok\n")
        print(f"generated {repo} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return repo


CHILD = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from secloop.core.config import Config
from secloop.delivery import Options, load_sources
from secloop.delivery.metrics import analyse
from secloop.delivery.trunk import trunk_stats
from secloop.sources.repo import Repo
t1 = time.perf_counter()
repo = Repo(Path(sys.argv[1]))
sources = load_sources(repo, Config())
t2 = time.perf_counter()
report = analyse(sources, Options())
t3 = time.perf_counter()
trunk = trunk_stats(sources.history, sources.git.head)
t4 = time.perf_counter()
print(json.dumps({
    "import": t1 - t0, "sources": t2 - t1, "metrics": t3 - t2, "trunk": t4 - t3, "total": t4 - t1,
    "commits": len(sources.history), "tags": sources.tag_count,
    "values": {m.metric.id: m.metric.value for m in report.measures},
    "integrations": trunk.integrations if trunk else None,
}))
"""


def raw_read(repo: Path) -> float:
    tips = [*git(repo, "for-each-ref", "--format=%(objectname)", "refs/tags").split(), "HEAD"]
    started = time.perf_counter()
    subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%H%x1f%P%x1f%at%x1f%ct%x1f%s", "--stdin"],
        input="\n".join(tips).encode(),
        stdout=subprocess.DEVNULL,
        env=_env(),
        check=True,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    repo = ensure_repo(args.commits)
    raws, runs = [], []
    for _ in range(args.runs):
        raws.append(raw_read(repo))
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(repo)], capture_output=True, text=True, check=True, env=_env()
        )
        runs.append(json.loads(out.stdout))
    first = runs[0]
    print(f"repository: {repo} ({first['commits']} commits, {first['tags']} release tags)")
    for run, raw in zip(runs, raws, strict=True):
        print(
            f"  raw git log {raw:.3f} s | secloop sources {run['sources']:.3f} s, "
            f"metrics {run['metrics']:.3f} s, trunk {run['trunk']:.3f} s, total {run['total']:.3f} s "
            f"(+ import {run['import']:.3f} s)"
        )
    raw_median = statistics.median(raws)
    total = statistics.median(r["total"] for r in runs)
    print(f"median: raw git log {raw_median:.3f} s; secloop every metric end to end {total:.3f} s")
    print(f"ratio secloop / raw read: {total / raw_median:.2f}x (goal: every metric <= 3 s)")
    print(
        f"values: {json.dumps(first['values'], sort_keys=True)}; trunk integrations {first['integrations']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
