"""Jenkins scan: every Jenkinsfile of the repository, each read once and audited on its own."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from secloop.core.model import Finding, Skipped
from secloop.pipeline.jenkins.audits import JENKINS_AUDITS
from secloop.pipeline.jenkins.model import Jenkinsfile, is_jenkinsfile, parse_jenkinsfile
from secloop.sources.repo import Repo


@dataclass(frozen=True, slots=True)
class JenkinsScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files: tuple[Jenkinsfile, ...]

    def of(self, *rule_ids: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule_id in rule_ids)


def scan_jenkins_texts(files: Iterable[tuple[str, str | None]]) -> JenkinsScan:
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    parsed_files: list[Jenkinsfile] = []
    for path, text in files:
        if text is None:
            skipped.append(Skipped(path, "not readable as text (binary or larger than the size limit)"))
            continue
        parsed = parse_jenkinsfile(path, text)
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
            continue
        parsed_files.append(parsed)
        for audit in JENKINS_AUDITS:
            findings.extend(audit.audit(parsed))
    return JenkinsScan(tuple(sorted(findings, key=Finding.sort_key)), tuple(skipped), tuple(parsed_files))


_SCANS: weakref.WeakKeyDictionary[Repo, JenkinsScan] = weakref.WeakKeyDictionary()


def scan_jenkins(repo: Repo) -> JenkinsScan | None:
    """Every Jenkinsfile, audited; None when there is none. Computed once per Repo."""
    paths = [f for f in repo.files() if is_jenkinsfile(f)]
    if not paths:
        return None
    scan = _SCANS.get(repo)
    if scan is None:
        scan = scan_jenkins_texts((p, repo.read_text(p)) for p in paths)
        _SCANS[repo] = scan
    return scan
