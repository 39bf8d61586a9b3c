"""GHA-INSECURE-COMMANDS: the deprecated `set-env`/`add-path` workflow commands re-enabled, or debug
logging switched on in the workflow file itself."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Entry, Job, Step, Workflow

RULE = Rule(
    id="GHA-INSECURE-COMMANDS",
    title="Insecure workflow commands or debug logging enabled",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "`ACTIONS_ALLOW_UNSECURE_COMMANDS: true` brings back the `::set-env::` and `::add-path::` "
        "log commands, so any text a step prints (a pull request title, a test name, tool output) can "
        "set environment variables or the PATH of every later step. `ACTIONS_STEP_DEBUG` and "
        "`ACTIONS_RUNNER_DEBUG` written into the workflow make every run log verbose internals."
    ),
    fix=(
        "Remove ACTIONS_ALLOW_UNSECURE_COMMANDS and write to the $GITHUB_ENV and $GITHUB_PATH files "
        "instead; enable debug logging only for one re-run, from the UI."
    ),
    cwe=(77, 215),
    cicd_sec=(7,),
)

INSECURE = "actions_allow_unsecure_commands"
DEBUG = frozenset({"actions_step_debug", "actions_runner_debug"})


def _flagged(entries: tuple[Entry, ...]) -> Iterator[tuple[Entry, Severity]]:
    for entry in entries:
        name = entry.key.lower()
        if entry.value is None or name not in DEBUG | {INSECURE}:
            continue
        if entry.value.text.strip().lower() not in ("true", "1"):
            continue
        yield entry, Severity.HIGH if name == INSECURE else Severity.LOW


class InsecureCommands(AuditBase):
    rule = RULE

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        yield from self._report(workflow, workflow.env, None, None)

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        yield from self._report(workflow, job.env, job, None)

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        yield from self._report(workflow, step.env, job, step)

    def _report(
        self, workflow: Workflow, entries: tuple[Entry, ...], job: Job | None, step: Step | None
    ) -> Iterator[Finding]:
        for entry, severity in _flagged(entries):
            what = (
                "re-enables the set-env and add-path log commands"
                if severity is Severity.HIGH
                else "turns on debug logging for every run"
            )
            yield self.finding(
                workflow,
                f"env {entry.key} {what}",
                entry.key_location,
                job=job,
                step=step,
                key=(entry.key.lower(),),
                severity=severity,
            )
