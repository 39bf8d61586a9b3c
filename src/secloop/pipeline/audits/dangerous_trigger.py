"""GHA-DANGEROUS-TRIGGER: workflows that run privileged on events outsiders can cause."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Workflow, lookup

RULE = Rule(
    id="GHA-DANGEROUS-TRIGGER",
    title="Workflow runs privileged on pull_request_target or workflow_run",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "pull_request_target and workflow_run run in the context of the base repository, with its "
        "secrets and a token that can write, while what triggered them comes from a fork. Checking out "
        "and building the pull request's head in such a workflow runs the attacker's code with those "
        "privileges (a poisoned pipeline execution)."
    ),
    fix=(
        "Use `pull_request` for untrusted code. If the privileged trigger is needed, never check out "
        "the pull request head in it: split the work into an unprivileged `pull_request` workflow and "
        "a privileged one that only consumes its artifacts as data."
    ),
    cwe=(829,),
    cicd_sec=(4,),
)

DANGEROUS_EVENTS = ("pull_request_target", "workflow_run")

# Refs that name the untrusted head of a pull request or of the run that triggered workflow_run.
HEAD_REF = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref|repo\.full_name)"
    r"|github\.head_ref"
    r"|github\.event\.workflow_run\.head_(?:sha|branch)"
    r"|github\.event\.workflow_run\.head_repository\.full_name"
    r"|refs/pull/"
)
HEAD_FETCH = re.compile(
    r"\bgh\s+pr\s+checkout\b"
    r"|\bgit\s+(?:fetch|checkout|switch|pull)\b[^\n]*(?:pull/|head_ref|head\.(?:sha|ref)|head_sha|head_branch)"
)


def head_checkouts(workflow: Workflow) -> list[Location]:
    """Where a step of the workflow checks out (or fetches) the untrusted head."""
    found = []
    for _, step in workflow.steps():
        if step.uses_action("actions/checkout"):
            for key in ("ref", "repository"):
                entry = lookup(step.with_, key)
                if entry is not None and entry.value is not None and HEAD_REF.search(entry.value.raw):
                    found.append(entry.value.location)
                    break
        elif step.run is not None and (match := HEAD_FETCH.search(step.run.raw)):
            found.append(step.run.span(match.start(), match.end()))
    return found


class DangerousTrigger(AuditBase):
    rule = RULE

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        checkouts: list[Location] | None = None
        for event in DANGEROUS_EVENTS:
            trigger = workflow.trigger(event)
            if trigger is None:
                continue
            if checkouts is None:
                checkouts = head_checkouts(workflow)
            if checkouts:
                first = checkouts[0]
                yield self.finding(
                    workflow,
                    f"runs on {event} with the base repository's secrets and token, and checks out "
                    f"the untrusted head at {first.path}:{first.start_line}",
                    trigger.location,
                    key=(event,),
                    severity=Severity.HIGH,
                    confidence=Confidence.HIGH,
                    related=tuple(checkouts),
                    properties=(("trigger", event), ("checks_out_head", "true")),
                )
            else:
                yield self.finding(
                    workflow,
                    f"runs on {event} with the base repository's secrets and token; make sure no "
                    "step ever runs code from the triggering fork",
                    trigger.location,
                    key=(event,),
                    properties=(("trigger", event), ("checks_out_head", "false")),
                )
