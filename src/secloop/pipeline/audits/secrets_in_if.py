"""GHA-SECRETS-IN-IF: a `secrets.*` reference in an `if:` condition, which GitHub never evaluates."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits._common import condition
from secloop.pipeline.audits.interface import ConditionAudit
from secloop.pipeline.expressions import iter_paths
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow

RULE = Rule(
    id="GHA-SECRETS-IN-IF",
    title="Secret referenced in an `if:` condition",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "The `secrets` context is not available to `if:` conditions: the reference is rejected or "
        "reads as empty, so a guard such as `if: secrets.DEPLOY_KEY != ''` silently never (or always) "
        "lets the step run. Security gates written this way do not gate anything."
    ),
    fix=(
        "Map the secret into the job's `env:` and test the variable instead "
        "(`env: HAS_KEY: ${{ secrets.DEPLOY_KEY != '' }}` then `if: env.HAS_KEY == 'true'`)."
    ),
    cwe=(670,),
    cicd_sec=(6,),
)


class SecretsInIf(ConditionAudit):
    rule = RULE

    def check_condition(
        self, workflow: Workflow, job: Job, step: Step | None, cond: Scalar
    ) -> Iterator[Finding]:
        if "secrets" not in cond.text.lower():
            return
        node = condition(cond)
        if node is None:
            return
        names = sorted({".".join(p) for p in iter_paths(node) if p[0] == "secrets"})
        if not names:
            return
        where = f"step {step.key!r}" if step else f"job {job.id!r}"
        yield self.finding(
            workflow,
            f"the `if:` of {where} reads {', '.join(names)}, which conditions cannot see",
            cond.location,
            job=job,
            step=step,
            key=tuple(names),
        )
