"""JK-SECRET-INTERPOLATION: a bound credential interpolated by Groovy into a shell step."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.jenkins.audits.interface import JenkinsAuditBase
from secloop.pipeline.jenkins.model import Jenkinsfile

RULE = Rule(
    id="JK-SECRET-INTERPOLATION",
    title="Credential interpolated by Groovy into a Jenkins shell step",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        '`sh "curl -u ${PASS} …"` puts the secret into the script text itself: it lands in the '
        "process list of the agent, in the durable task's script file, and shell metacharacters in the "
        "secret change the command. Jenkins itself warns about this pattern."
    ),
    fix="Use single quotes so the shell expands the variable: `sh 'curl -u \"$USER:$PASS\" …'`.",
    cwe=(214, 78),
    cicd_sec=(6,),
)


class SecretInterpolation(JenkinsAuditBase):
    rule = RULE

    def audit(self, file: Jenkinsfile) -> Iterator[Finding]:
        names = sorted({name for name, _ in file.credential_vars}, key=len, reverse=True)
        if not names:
            return
        pattern = re.compile(
            r"(?<!\\)\$\{\s*(?:env\.)?(" + "|".join(map(re.escape, names)) + r")\s*\}"
            r"|(?<!\\)\$(?:env\.)?(" + "|".join(map(re.escape, names)) + r")\b"
        )
        for shell in file.shells:
            if not shell.script.interpolated:
                continue
            for match in pattern.finditer(shell.script.text):
                name = match.group(1) or match.group(2)
                start = shell.script.body_start + match.start()
                yield self.finding(
                    file,
                    f"credential variable {name} is interpolated by Groovy into a {shell.command} step",
                    file.location(start, shell.script.body_start + match.end()),
                    key=(name, str(shell.script.start)),
                )
