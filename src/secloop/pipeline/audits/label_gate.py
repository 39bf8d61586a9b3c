"""GHA-LABEL-GATE: pull_request_target gated only by a label, then checking out the pull request."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.dangerous_trigger import head_checkouts
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Workflow, lookup

RULE = Rule(
    id="GHA-LABEL-GATE",
    title="Label used as the approval gate for running a fork's code",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "`pull_request_target` with `types: [labeled]` is meant to run a fork's code only after a "
        "maintainer looked at it and added a label. The label stays on the pull request while its "
        "author keeps pushing; checking out the head by branch name runs whatever was pushed last, "
        "not what was reviewed, and any later label event reruns it."
    ),
    fix=(
        "Check out the exact reviewed commit (`ref: ${{ github.event.pull_request.head.sha }}`), "
        "remove the label in the same run, and prefer a protected environment with required "
        "reviewers as the gate."
    ),
    cwe=(367,),
    cicd_sec=(4, 1),
)


def by_branch(workflow: Workflow) -> bool:
    """True when a checkout of the head names the branch (movable) rather than the commit."""
    for _, step in workflow.steps():
        if step.uses_action("actions/checkout"):
            ref = lookup(step.with_, "ref")
            text = ref.value.raw if ref is not None and ref.value is not None else ""
            if "head_ref" in text or "head.ref" in text:
                return True
    return False


class LabelGate(AuditBase):
    rule = RULE

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        trigger = workflow.trigger("pull_request_target")
        if trigger is None:
            return
        types = next((f for f in trigger.filters if f.key == "types"), None)
        if types is None or "labeled" not in types.values:
            return
        checkouts = head_checkouts(workflow)
        if not checkouts:
            return
        movable = by_branch(workflow)
        yield self.finding(
            workflow,
            "pull_request_target runs on `labeled` and checks out the pull request head"
            + (" by branch name, so commits pushed after the label run too" if movable else "")
            + "; a label is a weak approval gate",
            types.location,
            severity=Severity.HIGH if movable else Severity.MEDIUM,
            related=tuple(checkouts),
        )
