"""Build the history repository the secrets benchmark scans: real source files, many commits, planted secrets.

Usage: python bench/bench_secrets_repo.py [--commits N] [--per-commit N] [--dest DIR]

The files are the text sources of the Python installations on this machine (the project's virtual
environment and the system's standard library), sorted by path so that every machine with the same
packages builds the same repository. The first commits add them in batches; every later commit edits
a few of them (inserts and deletes lines), so each commit brings new unique blobs, as real history
does. Every 400 commits a side branch of a few commits is merged back with --no-ff. About fifty
secrets are planted along the way (GitHub, Stripe, AWS, Slack, GitLab, npm tokens and private keys),
half of them removed a few commits later; their values are generated at build time from a fixed seed,
never written in this file, and written to planted.json next to the repository (sha256 and prefix
only) so the benchmark can check that each tool found them.

Everything goes through one `git fast-import` stream: building 15,000 commits takes a few minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
SEED = 20261201
MAX_FILE = 200_000
TEXT_SUFFIXES = (
    ".py",
    ".pyi",
    ".txt",
    ".rst",
    ".md",
    ".cfg",
    ".toml",
    ".json",
    ".js",
    ".css",
    ".html",
    ".c",
    ".h",
)
SOURCES = (
    Path(__file__).resolve().parents[1] / ".venv" / "lib",
    Path("/usr/lib/python3.11"),
    Path("/usr/lib/python3/dist-packages"),
)
AUTHORS = ("Ana Lima <ana@bench.invalid>", "Ben Okafor <ben@bench.invalid>", "Chen Wei <chen@bench.invalid>")
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = B62 + "+/"
HEX = "0123456789abcdef"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted_secret(kind: str, rng: random.Random) -> tuple[str, str]:
    """(line to insert, the secret) for one kind; prefixes are split so this file holds no token."""
    if kind == "github":
        s = "gh" + "p_" + _rand(rng, B62, 36)
        return f'GITHUB_TOKEN = "{s}"', s
    if kind == "stripe":
        s = "sk" + "_live_" + _rand(rng, B62, 24)
        return f'stripe.api_key = "{s}"', s
    if kind == "aws":
        s = "AK" + "IA" + _rand(rng, B32, 16)
        return f'aws_access_key_id = "{s}"', s
    if kind == "slack":
        s = (
            "xo"
            + "xb-"
            + _rand(rng, "0123456789", 12)
            + "-"
            + _rand(rng, "0123456789", 13)
            + "-"
            + _rand(rng, B62, 24)
        )
        return f'SLACK_BOT_TOKEN = "{s}"', s
    if kind == "gitlab":
        s = "glp" + "at-" + _rand(rng, B62, 20)
        return f'GITLAB_TOKEN = "{s}"', s
    if kind == "npm":
        s = "np" + "m_" + _rand(rng, B62, 36)
        return f"//registry.npmjs.org/:_authToken={s}", s
    lines = "\n".join(_rand(rng, B64, 64) for _ in range(12))
    head, tail = "-----BEGIN RSA " + "PRIVATE KEY-----", "-----END RSA " + "PRIVATE KEY-----"
    s = f"{head}\n{lines}\n{tail}"
    return f'KEY = """{s}"""', s


KINDS = ("github", "stripe", "aws", "slack", "gitlab", "npm", "rsa")


def _neutral(base: Path, path: Path) -> str:
    """A path like an application's: no site-packages/dist-packages/python3.x segments, which scanners'
    default allowlists skip (gitleaks ignores every path under site-packages, for one)."""
    parts = [p for p in path.relative_to(base).parts if p not in ("site-packages", "dist-packages")]
    parts = [p for p in parts if not p.startswith("python3")]
    top = {"lib": "lib", "python3.11": "stdlib", "dist-packages": "system"}.get(base.name, base.name)
    return "/".join(["src", top, *parts])


def source_files() -> list[tuple[str, bytes]]:
    found: dict[str, bytes] = {}
    for base in SOURCES:
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(TEXT_SUFFIXES):
                    continue
                path = Path(dirpath) / name
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                if 200 < len(data) <= MAX_FILE and b"\0" not in data[:4096]:
                    found.setdefault(_neutral(base, path), data)
    return sorted(found.items())


@dataclass
class Builder:
    out: object
    rng: random.Random
    files: dict[str, bytes] = field(default_factory=dict)
    mark: int = 0
    stamp: int = 1_700_000_000
    planted: list[dict[str, object]] = field(default_factory=list)

    def write(self, data: bytes) -> None:
        self.out.write(data)  # type: ignore[attr-defined]

    def commit(
        self, branch: str, message: str, changes: dict[str, bytes | None], merge: int | None = None
    ) -> int:
        self.mark += 1
        self.stamp += 600
        author = AUTHORS[self.mark % len(AUTHORS)]
        head = f"commit refs/heads/{branch}\nmark :{self.mark}\n"
        head += f"author {author} {self.stamp} +0000\ncommitter {author} {self.stamp} +0000\n"
        msg = message.encode()
        self.write(head.encode() + f"data {len(msg)}\n".encode() + msg + b"\n")
        if merge is not None:
            self.write(f"merge :{merge}\n".encode())
        for path, data in changes.items():
            if data is None:
                self.write(f"D {path}\n".encode())
                self.files.pop(path, None)
            else:
                self.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
                self.files[path] = data
        self.write(b"\n")
        return self.mark

    def edit(self, data: bytes, number: int) -> bytes:
        lines = data.split(b"\n")
        at = self.rng.randrange(len(lines) + 1)
        words = " ".join(
            self.rng.choice(("fix", "tune", "note", "todo", "cache", "retry", "edge")) for _ in range(6)
        )
        lines.insert(at, f"# rev {number}: {words}".encode())
        if len(lines) > 20 and self.rng.random() < 0.5:
            del lines[self.rng.randrange(len(lines))]
        return b"\n".join(lines)


def build(dest: Path, commits: int, per_commit: int) -> dict[str, object]:
    sources = source_files()
    if not sources:
        sys.exit("no source files found to build the repository from")
    if dest.exists():
        subprocess.run(["rm", "-rf", str(dest)], check=True)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env)
    proc = subprocess.Popen(
        ["git", "-C", str(dest), "fast-import", "--quiet", "--depth=50"], stdin=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None
    rng = random.Random(SEED)
    b = Builder(proc.stdin, rng)
    add_commits = max(1, min(commits // 5, len(sources)))
    batch = -(-len(sources) // add_commits)
    index = 0
    for n in range(add_commits):
        chunk = sources[n * batch : (n + 1) * batch]
        if chunk:
            b.commit("main", f"Add sources {n}", dict(chunk))
            index += 1
    plant_every = max(1, (commits - index) // 50)
    pending_removal: list[tuple[int, str, bytes]] = []
    paths = sorted(b.files)
    main_tip = b.mark
    number = index
    while number < commits:
        number += 1
        on_side = number % 400 in range(395, 400)
        branch = "side" if on_side else "main"
        if number % 400 == 395:
            b.write(f"reset refs/heads/side\nfrom :{main_tip}\n\n".encode())
        changes: dict[str, bytes | None] = {}
        for path in rng.sample(paths, per_commit):
            changes[path] = b.edit(b.files[path], number)
        if number % plant_every == 0 and len(b.planted) < 50:
            path = rng.choice(paths)
            kind = KINDS[len(b.planted) % len(KINDS)]
            line, secret = planted_secret(kind, rng)
            original = b.files[path]
            changes[path] = original + b"\n" + line.encode() + b"\n"
            b.planted.append(
                {
                    "kind": kind,
                    "path": path,
                    "sha256": hashlib.sha256(secret.encode()).hexdigest(),
                    "removed": len(b.planted) % 2 == 0,
                    "branch": branch,
                }
            )
            if len(b.planted) % 2 == 1:
                pending_removal.append((number + 3, path, original))
        for due, path, original in list(pending_removal):
            if due <= number and path not in changes:
                changes[path] = b.edit(original, number)
                pending_removal.remove((due, path, original))
        mark = b.commit(branch, f"Change {number}", changes)
        if branch == "main":
            main_tip = mark
        if number % 400 == 399:
            main_tip = b.commit("main", f"Merge side at {number}", {}, merge=mark)
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", "main"], check=True, env=env)
    meta = {"commits": b.mark, "planted": b.planted, "files": len(sources)}
    (dest.parent / f"{dest.name}.planted.json").write_text(json.dumps(meta, indent=1))
    return meta


def unique_blob_bytes(repo: Path) -> tuple[int, int]:
    listing = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--objects", "--all"], capture_output=True, check=True
    ).stdout
    checked = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-check=%(objecttype) %(objectsize) %(rest)"],
        input=listing,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "replace")
    sizes = [int(f[1]) for f in (line.split(" ", 2) for line in checked.splitlines()) if f[0] == "blob"]
    return len(sizes), sum(sizes)


def iter_args() -> Iterator[str]:
    yield from sys.argv[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=15_000)
    parser.add_argument("--per-commit", type=int, default=4)
    parser.add_argument("--dest", type=Path, default=None)
    args = parser.parse_args(list(iter_args()))
    dest = args.dest or WORK / f"history-{args.commits}"
    started = time.perf_counter()
    meta = build(dest, args.commits, args.per_commit)
    blobs, size = unique_blob_bytes(dest)
    print(
        f"built {dest}: {meta['commits']} commits, {blobs} unique blobs, {size / 1e6:.0f} MB, "
        f"{len(meta['planted'])} planted secrets, in {time.perf_counter() - started:.0f} s"  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
