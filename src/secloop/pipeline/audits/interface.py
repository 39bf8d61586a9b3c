"""The audit seam: one rule per audit, implementing only the level it cares about.

The engine walks every workflow once and offers each audit the workflow, each job and each step;
`AuditBase` supplies the no-op levels and builds findings whose fingerprints never hold a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Protocol

from secloop.core.enums import Confidence, Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow


class Audit(Protocol):
    rule: ClassVar[Rule]

    def audit_workflow(self, workflow: Workflow) -> Iterable[Finding]: ...

    def audit_job(self, workflow: Workflow, job: Job) -> Iterable[Finding]: ...

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterable[Finding]: ...


class AuditBase:
    """Defaults for the levels an audit does not care about, and the one way to build its findings."""

    rule: ClassVar[Rule]

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        return iter(())

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        return iter(())

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        return iter(())

    def finding(
        self,
        workflow: Workflow,
        message: str,
        location: Location,
        *,
        job: Job | None = None,
        step: Step | None = None,
        key: tuple[str, ...] = (),
        severity: Severity | None = None,
        confidence: Confidence | None = None,
        related: tuple[Location, ...] = (),
        properties: tuple[tuple[str, str], ...] = (),
    ) -> Finding:
        job_id = job.id if job else ""
        step_key = step.key if step else ""
        props: list[tuple[str, str]] = [("workflow", workflow.path)]
        if job:
            props.append(("job", job_id))
        if step:
            props.append(("step", step_key))
        return Finding(
            rule_id=self.rule.id,
            severity=severity or self.rule.severity,
            confidence=confidence or self.rule.confidence,
            message=message,
            locations=(location, *related),
            fingerprint=keyed_fingerprint(self.rule.id, workflow.path, job_id, step_key, *key),
            properties=(*props, *properties),
            fix=self.rule.fix,
        )


class ConditionAudit(AuditBase):
    """An audit of `if:` conditions: each job's and each step's, offered to `check_condition`."""

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        if job.if_ is not None:
            yield from self.check_condition(workflow, job, None, job.if_)

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.if_ is not None:
            yield from self.check_condition(workflow, job, step, step.if_)

    def check_condition(
        self, workflow: Workflow, job: Job, step: Step | None, cond: Scalar
    ) -> Iterator[Finding]:
        raise NotImplementedError
