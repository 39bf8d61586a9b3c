"""Azure Pipelines: `trigger:`/`pr:`/`schedules:`, script steps, tasks and templates."""

from __future__ import annotations

import re

from yaml.nodes import Node

from secloop.core.model import Skipped
from secloop.sources.ci import nodes as n
from secloop.sources.ci.interface import CiFile, Pipeline, Platform, Step, StepKind, Triggers

platform = Platform.AZURE
paths = re.compile(
    r"(^|/)azure-pipelines[^/]*\.ya?ml$|^\.?azure-pipelines/.+\.ya?ml$|^\.azuredevops/.+\.ya?ml$"
)

_SHELLS = ("script", "bash", "pwsh", "powershell")


def _filter(node: Node | None) -> tuple[bool, bool]:
    """(admits main, admits other branches) of a `trigger:` or `pr:` value; absent means every branch."""
    if node is None:
        return True, True
    if n.is_scalar(node):
        return (False, False) if str(node.value) == "none" else (True, True)
    if n.is_seq(node):
        include = n.strings(node)
        return n.admits_main(include, []), n.admits_other(include)
    branches = n.get(node, "branches")
    if branches is None:
        return (False, False) if n.get(node, "tags") is not None else (True, True)
    include = n.strings(n.get(branches, "include"))
    exclude = n.strings(n.get(branches, "exclude"))
    return n.admits_main(include, exclude), n.admits_other(include)


def parse(ci_file: CiFile, text: str, skipped: list[Skipped]) -> Pipeline | None:
    root = n.compose_mapping(ci_file.path, text, skipped)
    if root is None:
        return None
    path = ci_file.path
    steps: list[Step] = []
    for node in n.walk(root):
        for name, key, value in n.pairs(node):
            if name in _SHELLS:
                steps.extend(n.commands(value, path, None))
            elif name == "task" and n.is_scalar(value):
                inputs = n.params(n.get(node, "inputs"))
                steps.append(Step(path, n.line(value), StepKind.USES, str(value.value), None, inputs))
            elif name == "template" and n.is_scalar(value):
                steps.append(Step(path, n.line(key), StepKind.INCLUDE, str(value.value)))
    name = path.rsplit("/", 1)[-1]
    if "/templates/" in f"/{path}" or name.startswith("template"):
        return Pipeline(ci_file, Triggers(), tuple(steps), fragment=True)
    push_main, push_other = _filter(n.get(root, "trigger"))
    pr_main, pr_other = _filter(n.get(root, "pr"))
    notes = (
        () if n.get(root, "pr") is not None else ("pull-request builds are on by default for GitHub repos",)
    )
    schedule = n.get(root, "schedules") is not None
    return Pipeline(
        ci_file, Triggers(pr_main or pr_other, push_main, push_other, schedule, True, notes), tuple(steps)
    )
