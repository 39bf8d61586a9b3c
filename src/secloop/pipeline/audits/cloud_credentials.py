"""GHA-CLOUD-CREDENTIALS: a cloud login reachable from more than one protected place — not bound to an
environment, and in a workflow that pull requests, comments or any branch can start."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow

RULE = Rule(
    id="GHA-CLOUD-CREDENTIALS",
    title="Cloud login reachable outside one protected workflow",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "A step that logs in to AWS, Azure or Google Cloud turns the job into a holder of the cloud "
        "account's permissions. When the job has no protected `environment:` and its workflow runs "
        "on pull requests, comments or pushes to any branch, anyone who can push a branch (or get "
        "their change into one) can use that identity. Cloud access belongs to one pipeline, on the "
        "main branch, reached through a reviewed pull request."
    ),
    fix=(
        "Run the cloud login only in a job bound to a protected environment (required reviewers, "
        "deployment branches: main), and restrict the cloud trust policy to that environment's "
        "OIDC subject."
    ),
    cwe=(284,),
    cicd_sec=(2,),
)

CLOUD_LOGINS = (
    "aws-actions/configure-aws-credentials",
    "azure/login",
    "google-github-actions/auth",
    "azure/webapps-deploy",
)
OPEN_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "issue_comment", "workflow_run", "pull_request_review"}
)
MAIN = frozenset({"main", "master"})


def reachable(workflow: Workflow) -> str | None:
    """Why the workflow can be started from somewhere other than the main branch, if it can."""
    opened = sorted(workflow.events & OPEN_EVENTS)
    if opened:
        return f"runs on {', '.join(opened)}"
    push = workflow.trigger("push")
    if push is not None:
        filters = {f.key: f.values for f in push.filters}
        if not filters or ("branches" not in filters and "tags" not in filters):
            return "runs on pushes to any branch"
        branches = filters.get("branches", ())
        if any(b not in MAIN for b in branches):
            return f"runs on pushes to {', '.join(b for b in branches if b not in MAIN)}"
    return None


class CloudCredentials(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is None or job.environment:
            return
        action = next((a for a in CLOUD_LOGINS if step.uses_action(a)), None)
        if action is None:
            return
        why = reachable(workflow)
        if why is None:
            return
        open_to_forks = bool(workflow.events & OPEN_EVENTS)
        yield self.finding(
            workflow,
            f"step {step.key!r} logs in with {action} in job {job.id!r}, which has no protected "
            f"environment, and the workflow {why}",
            step.uses.location,
            job=job,
            step=step,
            severity=Severity.HIGH if open_to_forks else Severity.MEDIUM,
        )
