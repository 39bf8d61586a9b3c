"""Small facts several audits share: effective permissions, expression paths of a condition."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.pipeline.expressions import ExpressionError, Node, parse
from secloop.pipeline.workflow import Entry, Job, Permissions, Scalar, Workflow, lookup

PR_EVENTS = frozenset({"pull_request", "pull_request_target"})


def effective_permissions(workflow: Workflow, job: Job) -> Permissions | None:
    """The job's own `permissions:`, else the workflow's (GitHub does not merge the two)."""
    return job.permissions if job.permissions is not None else workflow.permissions


def scope_entry(perms: Permissions | None, scope: str) -> Entry | None:
    return lookup(perms.scopes, scope) if perms is not None else None


def condition(scalar: Scalar | None) -> Node | None:
    """The syntax tree of an `if:`, which may be written with or without `${{ }}`."""
    if scalar is None:
        return None
    text = scalar.text.strip()
    if text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1:
        text = text[3:-2]
    try:
        return parse(text.strip())
    except (ExpressionError, RecursionError):
        return None


def literal_ends_with_bot(text: str) -> bool:
    return text.lower().endswith("[bot]")


def job_steps_text(job: Job) -> Iterator[str]:
    for step in job.steps:
        if step.uses is not None:
            yield step.uses.text
        if step.run is not None:
            yield step.run.text
