"""GitLab CI scan: `.gitlab-ci.yml` and its local includes, each file read once and audited."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from secloop.core.model import Finding, Skipped
from secloop.pipeline.gitlab.audits import GITLAB_AUDITS
from secloop.pipeline.gitlab.audits.interface import GitlabAudit
from secloop.pipeline.gitlab.model import GitlabFile, load
from secloop.sources.repo import Repo

ROOT_FILE = ".gitlab-ci.yml"


@dataclass(frozen=True, slots=True)
class GitlabScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files: tuple[GitlabFile, ...]

    def of(self, *rule_ids: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule_id in rule_ids)


def audit_files(files: Sequence[GitlabFile], audits: Sequence[GitlabAudit] = GITLAB_AUDITS) -> list[Finding]:
    findings: list[Finding] = []
    for file in files:
        for audit in audits:
            findings.extend(audit.audit_file(file))
        for job in file.jobs:
            for audit in audits:
                findings.extend(audit.audit_job(file, job))
    return findings


def scan_gitlab_files(read: Callable[[str], str | None], root: str = ROOT_FILE) -> GitlabScan:
    files, skipped = load(root, read)
    return GitlabScan(
        findings=tuple(sorted(audit_files(files), key=Finding.sort_key)),
        skipped=tuple(skipped),
        files=tuple(files),
    )


_SCANS: weakref.WeakKeyDictionary[Repo, GitlabScan] = weakref.WeakKeyDictionary()


def scan_gitlab(repo: Repo) -> GitlabScan | None:
    """The repository's GitLab CI configuration, audited; None when it has none. Computed once per Repo."""
    if ROOT_FILE not in repo.files():
        return None
    scan = _SCANS.get(repo)
    if scan is None:
        scan = scan_gitlab_files(repo.read_text)
        _SCANS[repo] = scan
    return scan
