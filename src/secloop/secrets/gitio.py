"""Git, read safely and streamed: object lists, blob contents, the staged index and who introduced a blob.

Scanning a repository must never run code the repository controls. Every git call here ignores the
system and global config, points hooks at /dev/null, disables fsmonitor, external diff and textconv,
and runs in an environment stripped of everything but what git needs to find the repository (and the
index or quarantine a hook was given).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue

from secloop.core.errors import UsageError

_KEEP_ENV = (
    "PATH",
    "HOME",
    "TMPDIR",
    "SYSTEMROOT",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
)
SAFE_OPTIONS = (
    "-c",
    f"core.hooksPath={os.devnull}",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.pager=cat",
    "-c",
    "diff.external=",
    "-c",
    "core.quotePath=false",
)
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_TIMEOUT = 600
_QUEUE_BLOBS = 512


def git_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        LC_ALL="C",
    )
    return env


def git_command(root: Path, *args: str) -> list[str]:
    return ["git", *SAFE_OPTIONS, "-C", str(root), *args]


class GitError(UsageError):
    """A git command failed: not a repository, an unknown revision, a corrupt object."""


def run_git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            git_command(root, *args),
            input=stdin,
            capture_output=True,
            env=git_env(),
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} could not run: {exc}") from exc
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(
            f"git {args[0]} failed: {message[-1] if message else proc.returncode}",
            hint="run inside a git repository and name revisions that exist",
        )
    return proc.stdout


@dataclass(frozen=True, slots=True)
class BlobRef:
    oid: str
    size: int
    path: str


def _widen_pipe(fd: int) -> None:
    """Ask Linux for a 1 MB pipe (F_SETPIPE_SZ): fewer context switches between git and the reader."""
    try:
        import fcntl

        fcntl.fcntl(fd, 1031, 1 << 20)
    except (ImportError, OSError):
        pass


@dataclass(frozen=True, slots=True)
class Blob:
    oid: str
    path: str
    size: int
    data: bytes | None  # None when the blob is over the size limit (it was read past, not kept)
    known: bool = False  # listed only: the caller said it already knows this blob, it was not read


def history_blobs(
    root: Path,
    revisions: Iterable[str],
    max_bytes: int,
    known: Container[str] | None = None,
    strict: bool = False,
) -> Iterator[Blob]:
    """Each blob reachable from the revisions exactly once, streamed: `rev-list` feeds `cat-file`.

    Blobs in `known` are not read: they come last, as Blob(known=True) with no data. A blob git
    cannot read is skipped (a partial clone) or, when `strict`, an error.
    """
    lister = subprocess.Popen(
        git_command(root, "rev-list", "--objects", "--filter=object:type=blob", *revisions, "--"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=git_env(),
    )
    assert lister.stdout is not None and lister.stderr is not None
    reader = subprocess.Popen(
        git_command(root, "cat-file", "--batch=%(objecttype) %(objectname) %(objectsize) %(rest)"),
        stdin=lister.stdout if known is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=git_env(),
        bufsize=1 << 20,
    )
    skipped_known: list[Blob] = []
    sieve: threading.Thread | None = None
    if known is None:
        lister.stdout.close()  # the reader owns the pipe now; rev-list gets SIGPIPE if the reader dies
    else:
        listing, feed = lister.stdout, reader.stdin
        assert feed is not None

        def filter_known() -> None:
            # Only unknown blobs reach cat-file; the known ones are noted with their path.
            try:
                for line in listing:
                    head, _, rest = line.rstrip(b"\n").partition(b" ")
                    oid = head.decode("ascii", "replace")
                    if oid in known:
                        path = rest.decode("utf-8", "surrogateescape")
                        skipped_known.append(Blob(oid, path, 0, None, known=True))
                    else:
                        feed.write(line)
            except (BrokenPipeError, ValueError, OSError):
                pass
            finally:
                listing.close()
                with contextlib.suppress(OSError):
                    feed.close()

        sieve = threading.Thread(target=filter_known, name="secloop-known-blobs", daemon=True)
        sieve.start()
    assert reader.stdout is not None
    out = reader.stdout
    _widen_pipe(out.fileno())
    # A thread drains the pipe into a bounded queue so git keeps decompressing on its own core while
    # the caller scans; the pipe buffer alone (64 kB) would make the two take turns.
    queue: Queue[Blob | BaseException | None] = Queue(maxsize=_QUEUE_BLOBS)
    stop = threading.Event()

    def pump() -> None:
        try:
            for header in iter(out.readline, b""):
                if stop.is_set():
                    return
                parts = header.rstrip(b"\n").split(b" ", 3)
                if len(parts) < 3:
                    if strict:
                        raise OSError(f"object {header.decode('ascii', 'replace').strip()}")
                    continue  # "<oid> missing": a blob a partial clone does not have
                kind, oid, size = parts[0], parts[1].decode(), int(parts[2])
                path = parts[3].decode("utf-8", "surrogateescape") if len(parts) > 3 else ""
                if kind != b"blob" or size > max_bytes:
                    left = size + 1
                    while left:
                        chunk = out.read(min(left, 1 << 20))
                        if not chunk:
                            break
                        left -= len(chunk)
                    if kind == b"blob":
                        queue.put(Blob(oid, path, size, None))
                    continue
                data = out.read(size)
                out.read(1)
                queue.put(Blob(oid, path, size, data))
        except (OSError, ValueError) as exc:
            queue.put(exc)
        finally:
            queue.put(None)

    thread = threading.Thread(target=pump, name="secloop-cat-file", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise GitError(f"reading git objects failed: {item}")
            yield item
        if sieve is not None:
            sieve.join()
            yield from skipped_known
    finally:
        stop.set()
        reader.kill()
        while thread.is_alive():  # unblock a pump waiting on a full queue
            try:
                queue.get_nowait()
            except Empty:
                thread.join(0.01)
        out.close()
        reader.wait()
        if sieve is not None:
            sieve.join(5)
        err = lister.stderr.read()
        lister.stderr.close()
        lister.wait()
    if lister.returncode not in (0, -13):  # -13: SIGPIPE after the reader went away
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise GitError(
            f"git rev-list failed: {lines[-1] if lines else lister.returncode}",
            hint="name revisions that exist (see `git log --oneline`)",
        )


def cat_blobs(root: Path, oids: list[str]) -> Iterator[tuple[str, bytes]]:
    """Stream the contents of the blobs, in order, through one `git cat-file --batch`."""
    proc = subprocess.Popen(
        git_command(root, "cat-file", "--batch"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=git_env(),
        bufsize=1 << 20,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def feed() -> None:
        try:
            for oid in oids:
                stdin.write(oid.encode() + b"\n")
            stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for _ in oids:
            header = stdout.readline()
            parts = header.split()
            if len(parts) != 3:
                if not header:
                    raise GitError("git cat-file stopped before every blob was read")
                continue  # "<oid> missing": a blob of a partial clone, nothing to scan
            data = stdout.read(int(parts[2]))
            stdout.read(1)
            yield parts[0].decode(), data
    finally:
        stdout.close()
        proc.kill()
        proc.wait()
        writer.join()


@dataclass(frozen=True, slots=True)
class Introduction:
    """The first commit (in topological order) whose diff against a parent shows the blob as new."""

    commit: str
    author: str
    date: str
    path: str
    order: int


class IntroductionLog:
    """`git log` of every commit, parents before children, merges diffed against each parent.

    Started as soon as the first secret turns up, it runs on the second core while the scan goes on,
    writing to a temporary file; `resolve` then maps the wanted blobs to the commit that introduced them.
    """

    def __init__(self, root: Path, revisions: Iterable[str]) -> None:
        args = [
            "log",
            "--reverse",
            "--topo-order",
            "-m",
            "--root",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "-z",
            "--format=%x01%H%x09%an <%ae>%x09%aI",
            *revisions,
            "--",
        ]
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - outlives __init__, closed by close()
        self._proc = subprocess.Popen(
            git_command(root, *args), stdout=self._out, stderr=subprocess.DEVNULL, env=git_env()
        )

    def resolve(self, wanted: set[str]) -> dict[str, Introduction]:
        found: dict[str, Introduction] = {}
        try:
            self._proc.wait(timeout=_TIMEOUT)
            self._out.seek(0)
            state: _State = ("", "", "", 0)
            pending = b""
            while len(found) < len(wanted):
                chunk = self._out.read(1 << 20)
                if not chunk:
                    break
                fields = (pending + chunk).split(b"\0")
                pending = fields.pop()
                state = _consume(fields, wanted, found, state)
            if pending and len(found) < len(wanted):
                _consume([pending], wanted, found, state)
        finally:
            self.close()
        return found

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._out.close()


_State = tuple[str, str, str, int]


def _consume(fields: list[bytes], wanted: set[str], found: dict[str, Introduction], state: _State) -> _State:
    commit, author, date, order = state
    index = 0
    while index < len(fields):
        field = fields[index].lstrip(b"\n")
        if field.startswith(b"\x01"):
            head = field[1:].decode("utf-8", "replace").split("\t")
            commit, author, date = [*head, "", "", ""][:3]
            order += 1
            # With -z the header is followed directly by the first raw entry in the same field.
            rest = field.split(b"\n", 1)
            field = rest[1].lstrip(b"\n") if len(rest) > 1 else b""
            if not field:
                index += 1
                continue
        if field.startswith(b":"):
            meta = field[1:].split(b" ")
            path = fields[index + 1].decode("utf-8", "surrogateescape") if index + 1 < len(fields) else ""
            index += 2
            if len(meta) >= 5:
                new_oid, status = meta[3].decode(), meta[4][:1]
                if status in b"AMT" and new_oid in wanted and new_oid not in found:
                    found[new_oid] = Introduction(commit, author, date, path, order)
            continue
        index += 1
    return commit, author, date, order


@dataclass(frozen=True, slots=True)
class StagedFile:
    path: str
    oid: str
    added: tuple[tuple[int, int], ...]  # inclusive line ranges added by the staged change


def staged_files(root: Path) -> list[StagedFile]:
    """Files added or modified in the index, with their staged blob and the line ranges they add."""
    raw = run_git(
        root, "diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--diff-filter=ACMT", "--"
    )
    fields = raw.split(b"\0")
    entries: list[tuple[str, str]] = []
    for i in range(0, len(fields) - 1, 2):
        meta = fields[i].lstrip(b":").split(b" ")
        if len(meta) >= 4:
            entries.append((fields[i + 1].decode("utf-8", "surrogateescape"), meta[3].decode()))
    if not entries:
        return []
    # One patch for every file, in the same (path) order as the --raw listing above.
    patch = run_git(
        root,
        "diff",
        "--cached",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--diff-filter=ACMT",
        "--no-renames",
        "--",
    )
    sections = re.split(rb"^diff --git ", patch, flags=re.MULTILINE)[1:]
    result: list[StagedFile] = []
    for (path, oid), section in zip(entries, sections + [b""] * (len(entries) - len(sections)), strict=True):
        ranges = tuple(
            (int(m.group(1)), int(m.group(1)) + (int(m.group(2)) if m.group(2) is not None else 1) - 1)
            for m in _HUNK.finditer(section)
        )
        result.append(StagedFile(path, oid, ranges))
    return result


def rev_parse(root: Path, revision: str) -> str:
    return (
        run_git(root, "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}").decode().strip()
    )


def ref_tips(root: Path) -> tuple[str, ...]:
    """The objects every ref and HEAD point at: what `--all` starts from."""
    out = run_git(root, "for-each-ref", "--format=%(objectname)")
    head = subprocess.run(
        git_command(root, "rev-parse", "--verify", "-q", "HEAD"),
        capture_output=True,
        env=git_env(),
        check=False,
    ).stdout
    return tuple(sorted({line for line in (out + head).decode().split() if line}))


def git_dir(root: Path) -> Path:
    out = run_git(root, "rev-parse", "--absolute-git-dir").decode().strip()
    return Path(out)


def all_reachable(root: Path, old: Iterable[str], new: Iterable[str]) -> bool:
    """True when every old tip is reachable from the new ones (history only grew)."""
    try:
        out = run_git(root, "rev-list", "--count", *old, "--not", *new, "--")
    except GitError:
        return False  # an old tip no longer exists (rewritten history, gc): scan everything again
    return out.strip() == b"0"
