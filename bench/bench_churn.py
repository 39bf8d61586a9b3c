"""Churn: secloop (one `git log --numstat` stream) against PyDriller on the same generated repository.

Usage: python bench/bench_churn.py [--commits N] [--runs N]

The repository is generated once with `git fast-import` under bench/.work/churn-N/ (git-ignored):
a trunk whose commits edit, insert and delete lines in one to four of a few hundred text files, now
and then add, delete or rename (with an edit) a file, and every eighth step a two-commit topic branch
merged with a merge commit. Content and dates are deterministic (fixed seed).

Both tools read every commit reachable from HEAD. PyDriller (installed only in
bench/.work/venv-peers) runs in that interpreter in a fresh process: per commit the sum of its
modified files' added_lines/deleted_lines (merge commits have no modified files in PyDriller, and
count 0 in secloop), per file the same keyed by the new path (the old one for a deletion). The bench
asserts that both tools give identical numbers per commit and per file, then prints each tool's median
wall time (fresh process each run, import included) and the ratio.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PEERS = WORK / "venv-peers" / "bin" / "python"
SEED = 20261127
START = 1_767_000_000
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C", "TZ": "UTC"}
WHO = "Dev <dev@example.invalid>"

SECLOOP = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from secloop.delivery.churn import churn
result = churn(Path(sys.argv[1]))
commits = {c.sha: [c.added, c.removed] for c in result.commits}
files = {f.path: [f.added, f.removed] for f in result.files.values()}
print(json.dumps({"seconds": time.perf_counter() - started, "commits": commits, "files": files}))
"""

PYDRILLER = """
import json, sys, time
started = time.perf_counter()
from pydriller import Repository
commits, files = {}, {}
for commit in Repository(sys.argv[1]).traverse_commits():
    added = removed = 0
    for changed in commit.modified_files:
        a, r = changed.added_lines, changed.deleted_lines
        added += a
        removed += r
        path = changed.new_path or changed.old_path
        entry = files.setdefault(path, [0, 0])
        entry[0] += a
        entry[1] += r
    commits[commit.hash] = [added, removed]
print(json.dumps({"seconds": time.perf_counter() - started, "commits": commits, "files": files}))
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV


class Stream:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def data(self, raw: bytes) -> None:
        self.parts.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(
        self, ref: str, mark: int, stamp: int, message: str, parents: list[int], ops: list[bytes]
    ) -> None:
        self.parts.append(
            f"commit {ref}\nmark :{mark}\n"
            f"author {WHO} {stamp} +0000\ncommitter {WHO} {stamp} +0000\n".encode()
        )
        self.data(message.encode())
        if parents:
            self.parts.append(f"from :{parents[0]}\n".encode())
        for other in parents[1:]:
            self.parts.append(f"merge :{other}\n".encode())
        self.parts.extend(ops)


def _modify(path: str, lines: list[str]) -> bytes:
    raw = "".join(line + "\n" for line in lines).encode()
    return f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(raw) + raw + b"\n"


def _edit(rng: random.Random, lines: list[str], serial: int) -> None:
    for _ in range(rng.randint(1, 6)):
        roll = rng.random()
        spot = rng.randrange(len(lines) + 1)
        if roll < 0.4 or not lines:
            lines[spot:spot] = [f"line {serial}.{n} {rng.random():.6f}" for n in range(rng.randint(1, 8))]
        elif roll < 0.7:
            at = min(spot, len(lines) - 1)
            lines[at] = f"changed {serial} {rng.random():.6f}"
        else:
            at = min(spot, len(lines) - 1)
            del lines[at : at + rng.randint(1, 4)]


def generate(repo: Path, commits: int) -> None:
    rng = random.Random(SEED)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], env=_env(), check=True)
    stream = Stream()
    files: dict[str, list[str]] = {}
    mark = head = 0
    stamp = START
    serial = 0
    while mark < commits:
        stamp += rng.randint(300, 3000)
        serial += 1
        if head and serial % 8 == 0:  # a topic branch of two commits on fresh files, then a merge
            topic = f"topic/t{serial}.txt"
            lines = [f"topic {serial} {n}" for n in range(rng.randint(3, 30))]
            mark += 1
            stream.commit(
                "refs/heads/topic", mark, stamp - 200, f"Topic {serial}", [head], [_modify(topic, lines)]
            )
            _edit(rng, lines, serial)
            mark += 1
            stream.commit(
                "refs/heads/topic",
                mark,
                stamp - 100,
                f"Topic {serial} b",
                [mark - 1],
                [_modify(topic, lines)],
            )
            files[topic] = lines
            mark += 1
            stream.commit(
                "refs/heads/main",
                mark,
                stamp,
                f"Merge topic {serial}",
                [head, mark - 1],
                [_modify(topic, lines)],
            )
            head = mark
            continue
        ops: list[bytes] = []
        roll = rng.random()
        if roll < 0.08 or len(files) < 20:
            path = f"src/dir{rng.randrange(12)}/file{serial}.txt"
            files[path] = [f"new {serial} {n}" for n in range(rng.randint(5, 120))]
            ops.append(_modify(path, files[path]))
        elif roll < 0.11:
            path = rng.choice(sorted(files))
            del files[path]
            ops.append(f"D {path}\n".encode())
        elif roll < 0.14:
            old = rng.choice(sorted(files))
            new = f"moved/r{serial}-{old.rsplit('/', 1)[-1]}"
            files[new] = files.pop(old)
            ops.append(f"R {old} {new}\n".encode())
            if rng.random() < 0.5 and files[new]:
                files[new][0] = f"renamed {serial}"
                ops.append(_modify(new, files[new]))
        else:
            for path in rng.sample(sorted(files), rng.randint(1, 4)):
                _edit(rng, files[path], serial)
                ops.append(_modify(path, files[path]))
        mark += 1
        stream.commit("refs/heads/main", mark, stamp, f"Change {serial}", [head] if head else [], ops)
        head = mark
    stream.parts.append(b"done\n")
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"],
        input=b"".join(stream.parts),
        env=_env(),
        check=True,
    )
    subprocess.run(
        ["git", "-C", str(repo), "symbolic-ref", "HEAD", "refs/heads/main"], env=_env(), check=True
    )


def ensure_repo(commits: int) -> Path:
    repo = WORK / f"churn-{commits}"
    if not (repo / ".git").exists():
        WORK.mkdir(parents=True, exist_ok=True)
        generate(repo, commits)
    return repo


def run(python: str, code: str, repo: Path) -> dict[str, object]:
    env = _env() | {"PYTHONPATH": str(ROOT / "src")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    done = subprocess.run([python, "-c", code, str(repo)], capture_output=True, env=env, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    result["wall"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not PEERS.exists():
        sys.exit(
            f"PyDriller is not installed: python3 -m venv {PEERS.parent.parent} && "
            f"{PEERS} -m pip install pydriller"
        )
    repo = ensure_repo(args.commits)
    count = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    ).stdout.strip()
    print(f"repository: {repo} ({count} commits)")
    ours = [run(sys.executable, SECLOOP, repo) for _ in range(args.runs)]
    peers = [run(str(PEERS), PYDRILLER, repo) for _ in range(args.runs)]
    mine, theirs = ours[0], peers[0]
    assert mine["commits"] == theirs["commits"], "per-commit numbers differ"
    assert mine["files"] == theirs["files"], "per-file numbers differ"
    commits_read = len(mine["commits"])  # type: ignore[arg-type]
    files_read = len(mine["files"])  # type: ignore[arg-type]
    print(f"identical numbers: {commits_read} commits, {files_read} files")
    ours_wall = statistics.median(float(r["wall"]) for r in ours)  # type: ignore[arg-type]
    peers_wall = statistics.median(float(r["wall"]) for r in peers)  # type: ignore[arg-type]
    print(
        f"secloop churn : median {ours_wall:.3f} s wall over {args.runs} runs "
        "(fresh process, imports included)"
    )
    print(f"PyDriller     : median {peers_wall:.3f} s wall over {args.runs} runs")
    print(f"ratio         : {peers_wall / ours_wall:.1f}x faster")


if __name__ == "__main__":
    main()
