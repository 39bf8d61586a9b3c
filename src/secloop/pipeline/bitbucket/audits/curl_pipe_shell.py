"""BB-CURL-PIPE-SHELL: a downloaded script piped into a shell in a Bitbucket Pipelines step."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.curl_pipe_shell import PIPE_TO_SHELL
from secloop.pipeline.bitbucket.audits.interface import BitbucketAuditBase
from secloop.pipeline.bitbucket.model import BitbucketFile

RULE = Rule(
    id="BB-CURL-PIPE-SHELL",
    title="Bitbucket Pipelines step pipes a downloaded script into a shell",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`curl … | sh` runs whatever the server returns at that moment, unreviewed and unverified, "
        "with the repository and deployment variables of the step."
    ),
    fix="Download to a file, verify its checksum or signature, then run it; or use a pinned image.",
    cwe=(494,),
    cicd_sec=(3,),
)


class BitbucketCurlPipeShell(BitbucketAuditBase):
    rule = RULE

    def audit(self, file: BitbucketFile) -> Iterator[Finding]:
        for step in file.steps:
            for script in step.scripts:
                for match in PIPE_TO_SHELL.finditer(script.raw):
                    shown = " ".join(match.group(0).split())
                    yield self.finding(
                        file,
                        f"a {step.section} step runs a downloaded script unverified: {shown}",
                        script.span(match.start(), match.end()),
                        key=(step.section, step.trigger, step.name or "", shown),
                    )
