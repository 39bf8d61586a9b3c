"""GHA-CACHE-POISONING: a build cache restored in a workflow that publishes releases or runs on
pull_request_target, where an entry written by less trusted code ends up in a trusted build."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow, lookup

RULE = Rule(
    id="GHA-CACHE-POISONING",
    title="Build cache used in a release or pull_request_target workflow",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "Caches are shared across workflows of the repository: an entry saved by a pull request run "
        "(or by any compromised step on the default branch) is restored by the release build, which "
        "then ships code nobody reviewed. pull_request_target runs even save into the base branch's "
        "cache scope."
    ),
    fix=(
        "Do not restore caches in workflows that publish artifacts or releases, and never in "
        "pull_request_target workflows; set `cache: false` (or drop actions/cache) there."
    ),
    cwe=(349,),
    cicd_sec=(9,),
)

CACHE_ACTIONS = ("actions/cache", "actions/cache/restore")
# setup-* actions that cache when given `cache:`; setup-go caches unless told not to since v4.
CACHING_SETUP = (
    "actions/setup-node",
    "actions/setup-python",
    "actions/setup-java",
    "actions/setup-dotnet",
    "actions/setup-go",
)
_MAJOR = re.compile(r"@v(\d+)")


def _caches_by_default(step: Step) -> bool:
    major = _MAJOR.search(step.uses.text) if step.uses is not None else None
    return step.uses_action("actions/setup-go") and major is not None and int(major.group(1)) >= 4


def cache_use(step: Step) -> Location | None:
    """Where the step restores a cache, if it does."""
    if step.uses is None:
        return None
    if any(step.uses_action(a) for a in CACHE_ACTIONS):
        return step.uses.location
    if not any(step.uses_action(a) for a in CACHING_SETUP):
        return None
    setting = lookup(step.with_, "cache")
    if setting is not None and setting.value is not None:
        value = setting.value.text.strip().lower()
        return setting.value.location if value and value != "false" else None
    return step.uses.location if _caches_by_default(step) else None


def publishing(workflow: Workflow) -> str | None:
    """Why the workflow counts as a release build, if it does."""
    if "release" in workflow.events:
        return "runs on release"
    if "pull_request_target" in workflow.events:
        return "runs on pull_request_target"
    push = workflow.trigger("push")
    if push is not None and any(f.key == "tags" for f in push.filters):
        return "runs on pushed tags"
    return None


class CachePoisoning(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        location = cache_use(step)
        if location is None:
            return
        why = publishing(workflow)
        if why is None:
            return
        yield self.finding(
            workflow,
            f"step {step.key!r} restores a build cache in a workflow that {why}; a poisoned cache "
            "entry would reach the trusted build",
            location,
            job=job,
            step=step,
            severity=Severity.HIGH if why.endswith("pull_request_target") else Severity.MEDIUM,
        )
