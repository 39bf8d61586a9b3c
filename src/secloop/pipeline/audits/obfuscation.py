"""GHA-OBFUSCATED-USES: a `uses:` path with empty, `.` or `..` segments hides what really runs."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow

RULE = Rule(
    id="GHA-OBFUSCATED-USES",
    title="`uses:` path written to hide which action runs",
    stage=Stage.PIPELINE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "GitHub normalises `owner/repo/./path`, `owner/repo//path` and `owner/repo/sub/../other`, so a "
        "reviewer (and allowlists matching on text) reads one action while another runs."
    ),
    fix="Write the plain `owner/repo[/path]@ref` form.",
    cwe=(451,),
    cicd_sec=(3,),
)


class ObfuscatedUses(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is None:
            return
        name = step.uses.text.strip().split("@", 1)[0]
        if name.startswith(("./", "docker://")):
            parts = name.split("/")[1:] if name.startswith("./") else []
        else:
            parts = name.split("/")
        odd = [p for p in parts if p in ("", ".", "..")]
        if not odd:
            return
        yield self.finding(
            workflow,
            f"step {step.key!r} uses {name!r}, whose path has {', '.join(repr(p) for p in odd)} segments",
            step.uses.location,
            job=job,
            step=step,
        )
