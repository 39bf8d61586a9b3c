"""GHA-BROAD-APP-TOKEN: a GitHub App token minted with every permission and repository of the app."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow, lookup

RULE = Rule(
    id="GHA-BROAD-APP-TOKEN",
    title="GitHub App token not narrowed to the permissions or repositories the job needs",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "actions/create-github-app-token mints a token with every permission the App was granted, for "
        "every repository it is installed on when `owner:` is set without `repositories:`. A step that "
        "only comments on a pull request then holds a token that can push to every repository."
    ),
    fix=(
        "List the permissions the job needs as `permission-<name>:` inputs (for example "
        "`permission-pull-requests: write`) and name the repositories with `repositories:`."
    ),
    cwe=(250,),
    cicd_sec=(5,),
)
APP_TOKEN_ACTIONS = ("actions/create-github-app-token",)


class BroadAppToken(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is None or not any(step.uses_action(a) for a in APP_TOKEN_ACTIONS):
            return
        problems = []
        if not any(e.key.lower().startswith("permission-") for e in step.with_):
            problems.append("no `permission-*` input, so it carries every permission of the App")
        if lookup(step.with_, "owner") is not None and lookup(step.with_, "repositories") is None:
            problems.append(
                "`owner:` without `repositories:`, so it reaches every repository of the installation"
            )
        if problems:
            yield self.finding(
                workflow,
                f"step {step.key!r} mints an App token with {'; and '.join(problems)}",
                step.uses.location,
                job=job,
                step=step,
            )
