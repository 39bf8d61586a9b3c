"""GitLab CI: `workflow:rules` triggers, job scripts, images and `include:` templates."""

from __future__ import annotations

import re

from yaml.nodes import Node

from secloop.core.model import Skipped
from secloop.sources.ci import nodes as n
from secloop.sources.ci.interface import CiFile, Pipeline, Platform, Step, StepKind, Triggers

platform = Platform.GITLAB
paths = re.compile(r"^\.gitlab-ci\.ya?ml$|(^|/)[^/]+\.gitlab-ci\.ya?ml$|^\.gitlab/ci/.+\.ya?ml$")

_ROOTS = (".gitlab-ci.yml", ".gitlab-ci.yaml")
_RESERVED = {"include", "stages", "variables", "workflow", "image", "services", "cache", "spec"}
_SCRIPTS = ("before_script", "script", "after_script")
_INCLUDE_KEYS = ("template", "local", "remote", "component", "file", "project")
_MAIN = re.compile(r"[\"'/](?:main|master|trunk)[\"'/]")
_ANY_BRANCH = re.compile(r"\$CI_COMMIT_BRANCH\s*(?:$|&&|\|\||\))|\"push\"")


def _triggers(root: Node) -> Triggers:
    rules = n.seq(n.get(n.get(root, "workflow"), "rules"))
    if not rules:
        return Triggers(
            True, True, True, False, True, ("GitLab default: a pipeline on every push to every branch",)
        )
    pr = push_main = push_other = schedule = False
    for rule in rules:
        if (n.scalar(n.get(rule, "when")) or "always") == "never":
            continue
        cond = n.scalar(n.get(rule, "if")) or ""
        if not cond:
            return Triggers(True, True, True, schedule, True, ("workflow:rules ends with a catch-all rule",))
        pr = pr or "merge_request_event" in cond
        if "CI_DEFAULT_BRANCH" in cond or _MAIN.search(cond):
            push_main = True
        elif _ANY_BRANCH.search(cond):
            push_main = push_other = True
        schedule = schedule or '"schedule"' in cond
    notes = ("branch pipelines cover merge requests",) if push_other and not pr else ()
    return Triggers(pr or push_other, push_main, push_other, schedule, True, notes)


def _includes(node: Node | None, path: str) -> list[Step]:
    steps: list[Step] = []
    for item in n.seq(node) if n.is_seq(node) else [node]:
        if n.is_scalar(item):
            steps.append(Step(path, n.line(item), StepKind.INCLUDE, str(item.value)))
        for name, key, value in n.pairs(item):
            if name in _INCLUDE_KEYS:
                steps.extend(
                    Step(path, n.line(key), StepKind.INCLUDE, f"{name}: {t}") for t in n.strings(value)
                )
    return steps


def parse(ci_file: CiFile, text: str, skipped: list[Skipped]) -> Pipeline | None:
    root = n.compose_mapping(ci_file.path, text, skipped)
    if root is None:
        return None
    path = ci_file.path
    steps = _includes(n.get(root, "include"), path)
    for job_name, _, job in n.pairs(root):
        if job_name in _SCRIPTS:  # the deprecated global scripts
            steps.extend(n.commands(job, path, None))
        elif job_name == "image":
            steps.extend(n.image(job, path, None))
        elif job_name not in _RESERVED:
            steps.extend(n.image(n.get(job, "image"), path, job_name))
            for key in _SCRIPTS:
                steps.extend(n.commands(n.get(job, key), path, job_name))
    fragment = ci_file.path not in _ROOTS
    return Pipeline(ci_file, Triggers() if fragment else _triggers(root), tuple(steps), fragment)
