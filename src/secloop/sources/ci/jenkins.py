"""Jenkinsfile: Groovy, so regex best effort for `sh`/`bat` steps, images and in-file triggers."""

from __future__ import annotations

import re

from secloop.core.model import Skipped
from secloop.sources.ci.interface import CiFile, Pipeline, Platform, Step, StepKind, Triggers

platform = Platform.JENKINS
paths = re.compile(r"(^|/)Jenkinsfile([.-][^/]*)?$|(^|/)[^/]+\.jenkinsfile$", re.IGNORECASE)

_STEP = re.compile(r"\b(?:sh|bat|powershell|pwsh)\s*\(?\s*(?:script\s*:\s*)?('''|\"\"\"|'|\")")
_IMAGE = re.compile(r"\bimage\s*\(?\s*['\"]([^'\"]+)['\"]")


def parse(ci_file: CiFile, text: str, skipped: list[Skipped]) -> Pipeline | None:
    path = ci_file.path
    steps: list[Step] = []
    for match in _STEP.finditer(text):
        quote = match.group(1)
        start = match.end()
        end = text.find(quote, start)
        if end < 0 or (len(quote) == 1 and "\n" in text[start:end]):
            continue
        first = text.count("\n", 0, start) + 1
        for offset, body in enumerate(text[start:end].split("\n")):
            if body.strip():
                steps.append(Step(path, first + offset, StepKind.RUN, body.strip()))
    for match in _IMAGE.finditer(text):
        steps.append(Step(path, text.count("\n", 0, match.start()) + 1, StepKind.IMAGE, match.group(1)))
    schedule = re.search(r"\b(?:cron|pollSCM)\s*\(", text) is not None
    pr = re.search(r"\bchangeRequest\s*\(", text) is not None
    note = ("branch and pull-request builds are set in the Jenkins job, not in the file",)
    triggers = Triggers(pr, False, False, schedule, False, note)
    return Pipeline(ci_file, triggers, tuple(sorted(steps, key=lambda s: s.line)))
