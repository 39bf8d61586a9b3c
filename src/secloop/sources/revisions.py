"""A git revision as a folder: resolve REF to a commit and export its tree, for `--since REF` scans
that compare today's findings with the ones the project already had at REF."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from secloop.core.errors import UsageError

_GIT = ("git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false")


def resolve_commit(root: Path, ref: str, option: str = "--since") -> str:
    if ref.startswith("-"):
        raise UsageError(f"{option} {ref}: not a revision", hint="give a branch, tag or commit")
    try:
        proc = subprocess.run(
            [*_GIT, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"git did not run: {exc}", hint=f"{option} needs git and a git repository") from exc
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UsageError(
            f"{option} {ref}: not a commit of the repository at {root}",
            hint="give a branch, tag or commit, e.g. --since origin/main (fetch it first in CI)",
        )
    return proc.stdout.strip()


def export_tree(root: Path, commit: str, dest: Path) -> None:
    """Write the commit's files under `dest` (streamed `git archive`; links and special files skipped)."""
    proc = subprocess.Popen(
        [*_GIT, "archive", "--format=tar", commit],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                if member.isfile() or member.isdir():
                    archive.extract(member, dest, filter="data")
    finally:
        proc.stdout.close()
        error = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.wait(timeout=120) != 0:
            raise UsageError(f"git archive {commit[:12]} failed: {error.strip()[:200]}")
