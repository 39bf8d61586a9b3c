"""JK-CURL-PIPE-SHELL: a downloaded script piped into a shell in a Jenkins shell step."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.curl_pipe_shell import PIPE_TO_SHELL
from secloop.pipeline.jenkins.audits.interface import JenkinsAuditBase
from secloop.pipeline.jenkins.model import Jenkinsfile

RULE = Rule(
    id="JK-CURL-PIPE-SHELL",
    title="Jenkins step pipes a downloaded script into a shell",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`curl … | sh` runs whatever the server returns at that moment, unreviewed and unverified, on "
        "an agent that usually keeps credentials and workspaces of other builds."
    ),
    fix="Download to a file, verify its checksum or signature, then run it; or bake it into a pinned image.",
    cwe=(494,),
    cicd_sec=(3,),
)


class JenkinsCurlPipeShell(JenkinsAuditBase):
    rule = RULE

    def audit(self, file: Jenkinsfile) -> Iterator[Finding]:
        for shell in file.shells:
            for match in PIPE_TO_SHELL.finditer(shell.script.text):
                start = shell.script.body_start + match.start()
                shown = " ".join(match.group(0).split())
                yield self.finding(
                    file,
                    f"{shell.command} step runs a downloaded script unverified: {shown}",
                    file.location(start, shell.script.body_start + match.end()),
                    key=(shown, str(shell.script.start)),
                )
