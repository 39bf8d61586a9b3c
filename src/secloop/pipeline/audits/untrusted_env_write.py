"""GHA-UNTRUSTED-ENV-WRITE: attacker-controlled text written to $GITHUB_ENV or $GITHUB_PATH."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.expressions import EMPTY_SCOPE, Scope, Taint, taints
from secloop.pipeline.scope import scope_of
from secloop.pipeline.workflow import Job, Step, Workflow

RULE = Rule(
    id="GHA-UNTRUSTED-ENV-WRITE",
    title="Attacker-controlled text written to GITHUB_ENV or GITHUB_PATH",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "Lines appended to $GITHUB_ENV become environment variables of every later step, and lines of "
        "$GITHUB_PATH lead the PATH. A value containing a newline can define any variable "
        "(LD_PRELOAD, NODE_OPTIONS, BASH_ENV) and so run code in the steps that follow, with their "
        "secrets, even when each step's own script is safe."
    ),
    fix=(
        "Do not copy outsider-written text into these files; if it must pass between steps use a step "
        "output, or a heredoc delimiter that cannot occur in the value and strip newlines first."
    ),
    cwe=(15, 94),
    cicd_sec=(4,),
)

TARGET = re.compile(r"(?:\$\{?|\$env:)GITHUB_(ENV|PATH)\b", re.I)
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _line_taints(line: str, scope: Scope) -> list[Taint]:
    found: list[Taint] = []
    for match in re.finditer(r"\$\{\{(.*?)\}\}", line):
        found += taints(match.group(1).strip(), scope)
    for match in _SHELL_VAR.finditer(line):
        name = match.group(1)
        if name.startswith("GITHUB_"):
            continue
        found += taints(f"env.{name}", scope)
    return found


class UntrustedEnvWrite(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.run is None or "GITHUB_" not in step.run.raw:
            return
        raw = step.run.raw
        scope: Scope = EMPTY_SCOPE
        offset = 0
        for line in raw.splitlines(keepends=True):
            start, offset = offset, offset + len(line)
            target = TARGET.search(line)
            if target is None:
                continue
            if scope is EMPTY_SCOPE:
                scope = scope_of(workflow, job, step)
            found = _line_taints(line, scope)
            if not found:
                continue
            first = found[0]
            via = f" through {' > '.join(first.via)}" if first.via else ""
            yield self.finding(
                workflow,
                f"step {step.key!r} writes {first.ref}{via}, which an outsider controls, to "
                f"$GITHUB_{target.group(1)}",
                step.run.span(start + target.start(), start + target.end()),
                job=job,
                step=step,
                key=(target.group(1), first.ref),
                confidence=first.confidence,
            )
