"""GHA-UNSOUND-CONDITION: an `if:` with text around its `${{ }}` is a non-empty string, always true."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import ConditionAudit
from secloop.pipeline.workflow import EXPRESSION, Job, Scalar, Step, Workflow

RULE = Rule(
    id="GHA-UNSOUND-CONDITION",
    title="Condition that always holds (text outside its `${{ }}`)",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "GitHub evaluates an `if:` as one expression only when `${{ }}` wraps all of it. Anything else "
        "around it (a second `${{ }}`, words, or the newline a `|` block scalar keeps) turns the result "
        "into a string, and a non-empty string is true: the guard lets every run through."
    ),
    fix=(
        "Write the whole condition as one expression, without `${{ }}` or with one pair around all of "
        "it, on one line or with the `>-`/`|-` block styles that drop the final newline."
    ),
    cwe=(670,),
    cicd_sec=(1,),
)


def unsound(text: str) -> str | None:
    """Why the condition text is always true, or None when GitHub evaluates it as one expression."""
    matches = list(EXPRESSION.finditer(text))
    if not matches:
        return None
    if len(matches) > 1:
        return f"it holds {len(matches)} separate `${{{{ }}}}` expressions joined as text"
    match = matches[0]
    outside = text[: match.start()] + text[match.end() :]
    if not outside:
        return None
    if outside.strip():
        return f"the text {outside.strip()!r} sits outside its `${{{{ }}}}`"
    return "whitespace around its `${{ }}` (a `|` block keeps the final newline) makes it a string"


class UnsoundCondition(ConditionAudit):
    rule = RULE

    def check_condition(
        self, workflow: Workflow, job: Job, step: Step | None, cond: Scalar
    ) -> Iterator[Finding]:
        why = unsound(cond.text)
        if why is None:
            return
        where = f"step {step.key!r}" if step else f"job {job.id!r}"
        yield self.finding(
            workflow, f"the `if:` of {where} is always true: {why}", cond.location, job=job, step=step
        )
