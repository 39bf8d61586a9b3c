"""CircleCI: workflows with branch filters and schedules, job steps, orbs and images."""

from __future__ import annotations

import re

from yaml.nodes import Node

from secloop.core.model import Skipped
from secloop.sources.ci import nodes as n
from secloop.sources.ci.interface import CiFile, Pipeline, Platform, Step, StepKind, Triggers

platform = Platform.CIRCLECI
paths = re.compile(r"^\.circleci/config\.ya?ml$")


def _steps(root: Node, path: str) -> list[Step]:
    steps: list[Step] = []
    for name, key, value in n.pairs(n.get(root, "orbs")):
        steps.append(Step(path, n.line(key), StepKind.USES, f"orb {name}: {n.scalar(value) or ''}".rstrip()))
    for job_name, _, job in n.pairs(n.get(root, "jobs")):
        for docker in n.seq(n.get(job, "docker")):
            steps.extend(n.image(docker, path, job_name))
        for step in n.seq(n.get(job, "steps")):
            if n.is_scalar(step):  # `- checkout` or an orb command such as `- snyk/scan`
                steps.append(Step(path, n.line(step), StepKind.USES, str(step.value), job_name))
            for name, key, value in n.pairs(step):
                if name == "run":
                    steps.extend(n.commands(n.get(value, "command") or value, path, job_name))
                else:
                    steps.append(Step(path, n.line(key), StepKind.USES, name, job_name, n.params(value)))
    return steps


def _triggers(root: Node) -> Triggers:
    workflows = n.get(root, "workflows")
    if workflows is None:  # a config without workflows builds every pushed branch
        return Triggers(True, True, True, False, True, ("every pushed branch is built",))
    push_main = push_other = schedule = False
    for name, _, workflow in n.pairs(workflows):
        if name == "version":
            continue
        if any(n.get(t, "schedule") is not None for t in n.seq(n.get(workflow, "triggers"))):
            schedule = True
            continue
        for job in n.seq(n.get(workflow, "jobs")):
            filters = next((n.get(v, "filters") for _, _, v in n.pairs(job)), None)
            branches = n.get(filters, "branches")
            if branches is None and n.get(filters, "tags") is not None:
                continue  # a tag filter without a branch filter runs for tags only
            include = n.strings(n.get(branches, "only"))
            push_main = push_main or n.admits_main(include, n.strings(n.get(branches, "ignore")))
            push_other = push_other or n.admits_other(include)
    notes = ("every pushed branch is built, which covers pull requests",) if push_other else ()
    return Triggers(push_other, push_main, push_other, schedule, True, notes)


def parse(ci_file: CiFile, text: str, skipped: list[Skipped]) -> Pipeline | None:
    root = n.compose_mapping(ci_file.path, text, skipped)
    if root is None:
        return None
    return Pipeline(ci_file, _triggers(root), tuple(_steps(root, ci_file.path)))
