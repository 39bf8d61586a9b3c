"""GHA-PERSIST-CREDENTIALS: actions/checkout leaving the token in .git/config for later steps."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow, lookup

RULE = Rule(
    id="GHA-PERSIST-CREDENTIALS",
    title="actions/checkout persists the token in the working copy",
    stage=Stage.PIPELINE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    description=(
        "By default actions/checkout writes the job's token into .git/config, where every later step "
        "(and every tool or dependency they run) can read it, and where an uploaded artifact of the "
        "workspace can leak it."
    ),
    fix=(
        "Add `with: persist-credentials: false` to actions/checkout, and give the token explicitly "
        "to the one step that needs to push."
    ),
    cwe=(522,),
    cicd_sec=(6,),
)


class PersistCredentials(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is None or not step.uses_action("actions/checkout"):
            return
        setting = lookup(step.with_, "persist-credentials")
        if (
            setting is not None
            and setting.value is not None
            and setting.value.text.strip().lower() == "false"
        ):
            return
        yield self.finding(
            workflow,
            f"step {step.key!r} checks out with the token persisted in .git/config; "
            "set `persist-credentials: false`",
            step.uses.location if setting is None or setting.value is None else setting.value.location,
            job=job,
            step=step,
        )
