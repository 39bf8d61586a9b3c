"""GHA-KNOWN-VULNERABLE-ACTION: actions on a short offline list of compromised or archived ones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow

RULE = Rule(
    id="GHA-KNOWN-VULNERABLE-ACTION",
    title="Action known to be compromised, vulnerable or abandoned",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "Some actions had their tags moved to malicious commits, shipped injection bugs, or were "
        "archived and no longer receive fixes. The list is built in and works offline; it is short on "
        "purpose and names the reason for every entry."
    ),
    fix="Replace the action (the finding names an alternative) or pin a fixed release by commit SHA.",
    cwe=(1104, 506),
    cicd_sec=(3,),
)


@dataclass(frozen=True, slots=True)
class Known:
    action: str  # owner/repo or an owner/ prefix
    severity: Severity
    reason: str


KNOWN: tuple[Known, ...] = (
    Known(
        "tj-actions/changed-files",
        Severity.HIGH,
        "compromised in March 2025 (CVE-2025-30066): its tags pointed at a commit that dumped secrets "
        "into the log; pin a reviewed SHA or use a maintained alternative",
    ),
    Known(
        "reviewdog/action-setup",
        Severity.HIGH,
        "compromised in March 2025 (CVE-2025-30154): the v1 tag served code that dumped secrets",
    ),
    Known(
        "tj-actions/branch-names",
        Severity.MEDIUM,
        "command injection through branch names before 7.0.7 (CVE-2023-49291)",
    ),
    Known(
        "actions-rs/", Severity.LOW, "archived and unmaintained; use dtolnay/rust-toolchain or plain cargo"
    ),
    Known("actions/create-release", Severity.LOW, "archived by GitHub; use the gh CLI (`gh release create`)"),
    Known("actions/upload-release-asset", Severity.LOW, "archived by GitHub; use `gh release upload`"),
    Known("actions/setup-ruby", Severity.LOW, "archived by GitHub; use ruby/setup-ruby"),
)


def known(uses: str) -> Known | None:
    name = uses.strip().split("@", 1)[0].lower()
    for entry in KNOWN:
        if name == entry.action or (entry.action.endswith("/") and name.startswith(entry.action)):
            return entry
    return None


class KnownVulnerableAction(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is None:
            return
        entry = known(step.uses.text)
        if entry is None:
            return
        yield self.finding(
            workflow,
            f"{step.uses.text.strip()}: {entry.reason}",
            step.uses.location,
            job=job,
            step=step,
            severity=entry.severity,
        )
