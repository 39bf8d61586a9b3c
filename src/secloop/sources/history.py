"""Git history of HEAD's first-parent line: how changes landed on the branch.

The first-parent line is what the branch itself saw: one entry per merge, squash or direct push, so
the commits inside a merged pull request do not count as direct pushes.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from secloop.sources.repo import Repo

_TIMEOUT = 60
_RS, _US = "\x1e", "\x1f"

# How hosts mark a change that came through a pull/merge request: in the subject, or in the body.
_SUBJECT_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GitHub merge", re.compile(r"^Merge pull request #\d+")),
    ("squash merge", re.compile(r"\(#\d+\)\s*$")),
    ("Bitbucket pull request", re.compile(r"^Merged in \S+ \(pull request #\d+\)")),
    ("Azure DevOps pull request", re.compile(r"^Merged PR \d+")),
)
_BODY_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GitLab merge request", re.compile(r"^See merge request \S*!\d+", re.MULTILINE)),
)


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: int
    subject: str
    body: str = ""

    @property
    def pull_request_marker(self) -> str | None:
        """Which host marker shows this commit came through a pull/merge request, if any."""
        for name, rx in _SUBJECT_MARKERS:
            if rx.search(self.subject):
                return name
        return next((name for name, rx in _BODY_MARKERS if rx.search(self.body)), None)


@dataclass(frozen=True, slots=True)
class LandingStats:
    """How the last `total` changes on HEAD's first-parent line landed."""

    total: int
    via_pull_request: int
    merges: int

    @property
    def ratio(self) -> float:
        return self.via_pull_request / self.total if self.total else 0.0


def first_parent_log(repo: Repo, limit: int = 200) -> tuple[Commit, ...] | None:
    """The last `limit` commits of HEAD's first-parent line, newest first; None without git history."""
    if not repo.is_git:
        return None
    fmt = f"%H{_US}%P{_US}%s{_US}%b{_RS}"
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo.root), "log", "--first-parent", f"-n{limit}", f"--format={fmt}", "HEAD"],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    commits: list[Commit] = []
    for record in proc.stdout.decode("utf-8", "replace").split(_RS):
        fields = record.strip("\n").split(_US)
        if len(fields) != 4:
            continue
        sha, parents, subject, body = fields
        commits.append(Commit(sha, len(parents.split()), subject, body.strip()))
    return tuple(commits)


def landing_stats(commits: tuple[Commit, ...]) -> LandingStats:
    return LandingStats(
        total=len(commits),
        via_pull_request=sum(1 for c in commits if c.pull_request_marker is not None),
        merges=sum(1 for c in commits if c.parents > 1),
    )
