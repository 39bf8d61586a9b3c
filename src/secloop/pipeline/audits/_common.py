"""Small facts several audits share: effective permissions, expression paths of a condition."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.pipeline.expressions import Binary, Call, ExpressionError, Index, Member, Node, Unary, parse
from secloop.pipeline.workflow import Entry, Job, Permissions, Scalar, Step, Workflow, lookup

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


def step_scalars(step: Step) -> Iterator[Scalar]:
    """Every scalar of a step an expression can sit in: run, uses inputs, env and its condition."""
    if step.run is not None:
        yield step.run
    for entry in (*step.with_, *step.env):
        if entry.value is not None:
            yield entry.value
    if step.if_ is not None:
        yield step.if_


def workflow_scalars(workflow: Workflow, job: Job) -> Iterator[Scalar]:
    """The workflow's and the job's env values and the job's condition (the steps come separately)."""
    for entry in (*workflow.env, *job.env):
        if entry.value is not None:
            yield entry.value
    if job.if_ is not None:
        yield job.if_


def parsed(expression: str) -> Node | None:
    try:
        return parse(expression)
    except (ExpressionError, RecursionError):
        return None


def iter_nodes(node: Node) -> Iterator[Node]:
    """The node and every node below it, depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Member):
            stack.append(current.target)
        elif isinstance(current, Index):
            stack.extend((current.index, current.target))
        elif isinstance(current, Call):
            stack.extend(reversed(current.args))
        elif isinstance(current, Unary):
            stack.append(current.operand)
        elif isinstance(current, Binary):
            stack.extend((current.right, current.left))
