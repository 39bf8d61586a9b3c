"""GHA-ARTIFACT-CREDENTIALS: the checkout (with the token in .git/config) uploaded as an artifact."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow, lookup

RULE = Rule(
    id="GHA-ARTIFACT-CREDENTIALS",
    title="Artifact uploads the checkout with its persisted token",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "actions/checkout stores the job token in .git/config unless told otherwise. Uploading the "
        "whole workspace (`path: .`) publishes that file: anyone who can download the run's "
        "artifacts (on a public repository, anyone) gets a token that can still be used while the "
        "run lasts."
    ),
    fix=(
        "Set `persist-credentials: false` on actions/checkout and upload only the build output "
        "directory, never the workspace root."
    ),
    cwe=(522, 538),
    cicd_sec=(6,),
)

WORKSPACE = frozenset(
    {".", "./", "*", "**", "./*", "./**", "${{ github.workspace }}", "${{github.workspace}}"}
)


def persisting_checkout(job: Job, before: int) -> Step | None:
    for step in job.steps[:before]:
        if not step.uses_action("actions/checkout"):
            continue
        setting = lookup(step.with_, "persist-credentials")
        if setting is None or setting.value is None or setting.value.text.strip().lower() != "false":
            return step
    return None


class ArtifactCredentials(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if not step.uses_action("actions/upload-artifact"):
            return
        path = lookup(step.with_, "path")
        if path is None or path.value is None:
            return
        lines = [line.strip().rstrip("/") or "/" for line in path.value.text.splitlines()]
        exposed = [line for line in lines if line in WORKSPACE]
        if not exposed or any(line.startswith("!") and ".git" in line for line in lines):
            return
        checkout = persisting_checkout(job, step.index)
        if checkout is None:
            return
        hidden = lookup(step.with_, "include-hidden-files")
        included = hidden is not None and hidden.value is not None and hidden.value.text.strip() == "true"
        # upload-artifact leaves hidden files (.git) out by default since v4.4.0.
        yield self.finding(
            workflow,
            f"step {step.key!r} uploads the workspace ({exposed[0]}) after step {checkout.key!r} "
            "persisted the token in .git/config"
            + ("" if included else "; only releases before v4.4.0 or include-hidden-files upload it"),
            path.value.location,
            job=job,
            step=step,
            severity=Severity.HIGH if included else Severity.MEDIUM,
            confidence=Confidence.HIGH if included else Confidence.LOW,
        )
