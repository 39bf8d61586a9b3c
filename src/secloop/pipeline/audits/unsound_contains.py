"""GHA-UNSOUND-CONTAINS: `contains('a b', github.ref)` is a substring test, not list membership."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits._common import condition, iter_nodes
from secloop.pipeline.audits.interface import ConditionAudit
from secloop.pipeline.expressions import Call, Literal, attacker_controlled, path_of
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow

RULE = Rule(
    id="GHA-UNSOUND-CONTAINS",
    title="`contains()` over a string literal used as a list in a condition",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "With a string as its first argument `contains()` tests for a substring: "
        "`contains('refs/heads/main refs/heads/release', github.ref)` also holds for a branch named "
        "`refs/heads/mai`, or for an empty value, so whoever names a branch or a pull request can pass "
        "the guard."
    ),
    fix=(
        "Compare with `==` for one value, or test membership in a real list: "
        '`contains(fromJSON(\'["refs/heads/main", "refs/heads/release"]\'), github.ref)`.'
    ),
    cwe=(697,),
    cicd_sec=(1,),
)
# Contexts whose value a contributor picks (branch and tag names) without being an outsider.
_NAMEABLE = {("github", "ref"), ("github", "ref_name"), ("github", "head_ref"), ("github", "base_ref")}


class UnsoundContains(ConditionAudit):
    rule = RULE

    def check_condition(
        self, workflow: Workflow, job: Job, step: Step | None, cond: Scalar
    ) -> Iterator[Finding]:
        node = condition(cond)
        if node is None:
            return
        for sub in iter_nodes(node):
            if not (isinstance(sub, Call) and sub.function.lower() == "contains" and len(sub.args) == 2):
                continue
            haystack, needle = sub.args
            if not (isinstance(haystack, Literal) and isinstance(haystack.value, str)):
                continue
            path = path_of(needle)
            if path is None:
                continue
            lowered = tuple(p.lower() for p in path)
            controlled = lowered in _NAMEABLE or attacker_controlled(lowered)
            where = f"step {step.key!r}" if step else f"job {job.id!r}"
            yield self.finding(
                workflow,
                f"the `if:` of {where} tests {'.'.join(path)} as a substring of "
                f"{haystack.value!r}: a shorter or empty value passes too",
                cond.location,
                job=job,
                step=step,
                key=(".".join(lowered), haystack.value),
                severity=Severity.HIGH if controlled else Severity.MEDIUM,
            )
