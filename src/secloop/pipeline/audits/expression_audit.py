"""A base for audits that judge each `${{ … }}` expression wherever it sits.

Workflow-level env is offered once per workflow, job env and conditions once per job, and every step's
run, inputs, env and condition once per step, so a finding is never repeated for each job. Conditions
are parsed as GitHub reads them: with or without the `${{ }}` around them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from secloop.core.model import Finding, Location
from secloop.pipeline.audits._common import condition, parsed
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.expressions import Node
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow


class ExpressionAudit(AuditBase):
    def judge(self, node: Node) -> Iterable[tuple[str, str]]:
        """(what is wrong, a key identifying it) for each problem of one parsed expression."""
        raise NotImplementedError

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        values = [(f"env.{e.key}", e.value) for e in workflow.env if e.value is not None]
        yield from self._judge_all(workflow, None, None, values, None)

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        values = [(f"env.{e.key}", e.value) for e in job.env if e.value is not None]
        yield from self._judge_all(workflow, job, None, values, job.if_)

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        values = [(f"with.{e.key}", e.value) for e in step.with_ if e.value is not None]
        values.extend((f"env.{e.key}", e.value) for e in step.env if e.value is not None)
        if step.run is not None:
            values.append(("run", step.run))
        yield from self._judge_all(workflow, job, step, values, step.if_)

    def _judge_all(
        self,
        workflow: Workflow,
        job: Job | None,
        step: Step | None,
        values: list[tuple[str, Scalar]],
        cond: Scalar | None,
    ) -> Iterator[Finding]:
        # (tree, where it is written, which value holds it: part of the fingerprint, never a line)
        judged: list[tuple[Node, Location, str]] = []
        for origin, value in values:
            for expression in value.expressions():
                node = parsed(expression.text)
                if node is not None:
                    judged.append((node, expression.location, origin))
        if cond is not None:
            node = condition(cond)
            if node is not None:
                judged.append((node, cond.location, "if"))
        where = f"step {step.key!r}" if step else f"job {job.id!r}" if job else "the workflow"
        for node, location, origin in judged:
            for message, key in self.judge(node):
                yield self.finding(
                    workflow, f"{message} in {where}", location, job=job, step=step, key=(origin, key)
                )
