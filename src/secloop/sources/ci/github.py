"""GitHub Actions workflows: `on:` triggers with branch filters, `run:` commands and `uses:` actions."""

from __future__ import annotations

import re

from yaml.nodes import Node

from secloop.core.model import Skipped
from secloop.sources.ci import nodes as n
from secloop.sources.ci.interface import CiFile, Pipeline, Platform, Step, StepKind, Triggers

platform = Platform.GITHUB
paths = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")

_PR_EVENTS = ("pull_request", "pull_request_target", "merge_group")


def _events(on: Node | None) -> dict[str, Node | None]:
    """`on:` as event -> its filter node; it may be a string, a list or a mapping."""
    events: dict[str, Node | None] = dict.fromkeys(n.strings(on))
    for name, _, value in n.pairs(on):
        events[name] = value
    return events


def _triggers(events: dict[str, Node | None]) -> Triggers:
    pr = any(
        n.admits_main(n.strings(n.get(events[e], "branches")), n.strings(n.get(events[e], "branches-ignore")))
        for e in _PR_EVENTS
        if e in events
    )
    push_main = push_other = False
    if "push" in events:
        spec = events["push"]
        include = n.strings(n.get(spec, "branches"))
        exclude = n.strings(n.get(spec, "branches-ignore"))
        tags = n.get(spec, "tags") is not None or n.get(spec, "tags-ignore") is not None
        if include or exclude or not tags:  # a push filter with only tags never runs for branches
            push_main = n.admits_main(include, exclude)
            push_other = n.admits_other(include)
    notes = (
        ("reusable workflow: runs when another workflow calls it",)
        if set(events) == {"workflow_call"}
        else ()
    )
    return Triggers(pr, push_main, push_other, "schedule" in events, True, notes)


def parse(ci_file: CiFile, text: str, skipped: list[Skipped]) -> Pipeline | None:
    root = n.compose_mapping(ci_file.path, text, skipped)
    if root is None:
        return None
    path = ci_file.path
    steps: list[Step] = []
    for job_name, _, job in n.pairs(n.get(root, "jobs")):
        uses = n.get(job, "uses")
        if n.is_scalar(uses):
            steps.append(
                Step(
                    path, n.line(uses), StepKind.USES, str(uses.value), job_name, n.params(n.get(job, "with"))
                )
            )
        steps.extend(n.image(n.get(job, "container"), path, job_name))
        for step in n.seq(n.get(job, "steps")):
            steps.extend(n.commands(n.get(step, "run"), path, job_name))
            action = n.get(step, "uses")
            if n.is_scalar(action):
                with_ = n.params(n.get(step, "with"))
                steps.append(Step(path, n.line(action), StepKind.USES, str(action.value), job_name, with_))
    return Pipeline(ci_file, _triggers(_events(n.get(root, "on"))), tuple(steps))
