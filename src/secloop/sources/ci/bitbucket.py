"""Bitbucket Pipelines: `default`/`branches`/`pull-requests` pipelines, scripts, pipes and images."""

from __future__ import annotations

import re

from secloop.core.model import Skipped
from secloop.sources.ci import nodes as n
from secloop.sources.ci.interface import CiFile, Pipeline, Platform, Step, StepKind, Triggers

platform = Platform.BITBUCKET
paths = re.compile(r"^bitbucket-pipelines\.ya?ml$")


def parse(ci_file: CiFile, text: str, skipped: list[Skipped]) -> Pipeline | None:
    root = n.compose_mapping(ci_file.path, text, skipped)
    if root is None:
        return None
    path = ci_file.path
    pipelines = n.get(root, "pipelines")
    default = n.get(pipelines, "default") is not None
    branches = [name for name, _, _ in n.pairs(n.get(pipelines, "branches"))]
    push_main = default or (bool(branches) and n.admits_main(branches, []))
    push_other = default or any(b not in n.MAIN_BRANCHES for b in branches)
    explicit_pr = n.get(pipelines, "pull-requests") is not None
    notes = ("branch pipelines cover pull requests",) if push_other and not explicit_pr else ()
    triggers = Triggers(explicit_pr or push_other, push_main, push_other, False, True, notes)
    steps: list[Step] = []
    for node in n.walk(root):
        for name, _, value in n.pairs(node):
            if name in ("script", "after-script"):
                for item in n.seq(value):
                    pipe = n.get(item, "pipe")
                    if n.is_scalar(pipe):
                        variables = n.params(n.get(item, "variables"))
                        steps.append(
                            Step(path, n.line(pipe), StepKind.USES, str(pipe.value), None, variables)
                        )
                    else:
                        steps.extend(n.commands(item, path, None))
            elif name == "image":
                steps.extend(n.image(value, path, None))
    return Pipeline(ci_file, triggers, tuple(steps))
