"""GHA-THIRD-PARTY-SECRET: a secret or the job token handed to an action of a third-party publisher."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.audits.unpinned_action import FULL_SHA, first_party
from secloop.pipeline.workflow import Job, Step, Workflow

RULE = Rule(
    id="GHA-THIRD-PARTY-SECRET",
    title="Secret handed to a third-party action",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "An action from another publisher that receives a secret or the job token is a third-party "
        "service with your credentials: whoever controls its repository decides what happens to them. "
        "Referenced by a tag, its code can change between two runs without any change on your side."
    ),
    fix=(
        "Pin the action to a reviewed commit SHA, give it a narrowly scoped token instead of a broad "
        "secret, and inventory which third parties receive which credentials."
    ),
    cwe=(200, 829),
    cicd_sec=(8,),
)

SECRET = re.compile(r"\$\{\{[^}]*\b(?:secrets\.[\w-]+|secrets\[|github\.token)", re.I)


def third_party(uses: str) -> bool:
    text = uses.strip()
    return bool(text) and not text.startswith(("./", "docker://")) and not first_party(text)


class ThirdPartySecret(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is None or not third_party(step.uses.text):
            return
        passed = [e for e in (*step.with_, *step.env) if e.value is not None and SECRET.search(e.value.raw)]
        if not passed:
            return
        ref = step.uses.text.strip().rsplit("@", 1)[-1] if "@" in step.uses.text else ""
        pinned = bool(FULL_SHA.fullmatch(ref))
        names = ", ".join(e.key for e in passed)
        yield self.finding(
            workflow,
            f"{step.uses.text.strip()} receives credentials ({names})"
            + ("" if pinned else "; it is not pinned to a commit, so its code can change under them"),
            step.uses.location,
            job=job,
            step=step,
            key=tuple(e.key for e in passed),
            severity=Severity.LOW if pinned else Severity.MEDIUM,
        )
