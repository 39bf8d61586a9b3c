"""GHA-SECRETS-INHERIT: a reusable workflow that receives every secret of the caller."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Workflow

RULE = Rule(
    id="GHA-SECRETS-INHERIT",
    title="Reusable workflow called with `secrets: inherit`",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`secrets: inherit` passes every secret the calling workflow can see to the called workflow, "
        "whatever it needs. A change in the called workflow, or a compromise of its repository, then "
        "exposes all of them."
    ),
    fix=(
        "Pass only the secrets the called workflow declares: "
        "`secrets: { NPM_TOKEN: ${{ secrets.NPM_TOKEN }} }`."
    ),
    cwe=(200,),
    cicd_sec=(6,),
)


class SecretsInherit(AuditBase):
    rule = RULE

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        if job.secrets is None or not job.secrets_inherit:
            return
        target = job.uses.text.strip() if job.uses is not None else "a reusable workflow"
        yield self.finding(
            workflow,
            f"job {job.id!r} passes every secret of this workflow to {target}",
            job.secrets.location,
            job=job,
        )
