"""The shared traversal: read each workflow once, offer it to every audit at every level."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from secloop.core.model import Finding, Skipped
from secloop.pipeline.audits import AUDITS
from secloop.pipeline.audits.interface import Audit
from secloop.pipeline.audits.pin_comment import pin_mismatches
from secloop.pipeline.workflow import Workflow, parse_action, parse_workflow
from secloop.sources.repo import Repo

# GitHub only runs workflows that sit directly in .github/workflows/.
WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")


@dataclass(frozen=True, slots=True)
class PipelineScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    workflows: tuple[Workflow, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every workflow file looked at, readable or not."""
        return tuple(sorted({w.path for w in self.workflows} | {s.path for s in self.skipped}))

    def of(self, *rule_ids: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule_id in rule_ids)


def audit_workflow(workflow: Workflow, audits: Sequence[Audit] = AUDITS) -> list[Finding]:
    findings: list[Finding] = []
    for audit in audits:
        findings.extend(audit.audit_workflow(workflow))
    for job in workflow.jobs:
        for audit in audits:
            findings.extend(audit.audit_job(workflow, job))
        for step in job.steps:
            for audit in audits:
                findings.extend(audit.audit_step(workflow, job, step))
    return findings


def scan_texts(files: Iterable[tuple[str, str | None]], audits: Sequence[Audit] = AUDITS) -> PipelineScan:
    """Scan (path, text) pairs; text None means the file could not be read as text."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    workflows: list[Workflow] = []
    readable: list[tuple[str, str]] = []
    for path, text in files:
        if text is None:
            skipped.append(Skipped(path, "not readable as text (binary or larger than the size limit)"))
            continue
        parsed = parse_workflow(path, text)
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
            continue
        workflows.append(parsed)
        readable.append((path, text))
        skipped.extend(parsed.problems)
        findings.extend(audit_workflow(parsed, audits))
    if audits is AUDITS:
        findings.extend(pin_mismatches(readable))
    return PipelineScan(
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        skipped=tuple(skipped),
        workflows=tuple(workflows),
    )


def workflow_paths(repo: Repo) -> list[str]:
    return [f for f in repo.files() if WORKFLOW_PATH.match(f)]


def audit_action(action: Workflow, audits: Sequence[Audit] = AUDITS) -> list[Finding]:
    """Step-level audits only: a composite action has no triggers, permissions or runners of its own."""
    return [
        finding
        for job in action.jobs
        for step in job.steps
        for audit in audits
        for finding in audit.audit_step(action, job, step)
    ]


def scan_action_texts(
    files: Iterable[tuple[str, str | None]], audits: Sequence[Audit] = AUDITS
) -> PipelineScan:
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    actions: list[Workflow] = []
    for path, text in files:
        if text is None:
            skipped.append(Skipped(path, "not readable as text (binary or larger than the size limit)"))
            continue
        parsed = parse_action(path, text)
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
            continue
        actions.append(parsed)
        skipped.extend(parsed.problems)
        findings.extend(audit_action(parsed, audits))
    return PipelineScan(tuple(sorted(findings, key=Finding.sort_key)), tuple(skipped), tuple(actions))


ACTION_NAMES = ("action.yml", "action.yaml")


def action_paths(repo: Repo) -> list[str]:
    return [f for f in repo.files() if f.rsplit("/", 1)[-1] in ACTION_NAMES]


_SCANS: weakref.WeakKeyDictionary[Repo, PipelineScan] = weakref.WeakKeyDictionary()
_ACTION_SCANS: weakref.WeakKeyDictionary[Repo, PipelineScan] = weakref.WeakKeyDictionary()


def scan_workflows(repo: Repo) -> PipelineScan:
    """Every GitHub Actions workflow of the repository, audited; computed once per Repo."""
    scan = _SCANS.get(repo)
    if scan is None:
        scan = scan_texts((path, repo.read_text(path)) for path in workflow_paths(repo))
        _SCANS[repo] = scan
    return scan


def scan_actions(repo: Repo) -> PipelineScan | None:
    """Every action.yml of the repository (composite steps audited); None when there is none."""
    paths = action_paths(repo)
    if not paths:
        return None
    scan = _ACTION_SCANS.get(repo)
    if scan is None:
        scan = scan_action_texts((path, repo.read_text(path)) for path in paths)
        _ACTION_SCANS[repo] = scan
    return scan
