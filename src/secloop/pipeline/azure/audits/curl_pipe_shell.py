"""AZ-CURL-PIPE-SHELL: a downloaded script piped into a shell in an Azure Pipelines step."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.curl_pipe_shell import PIPE_TO_SHELL
from secloop.pipeline.azure.audits.interface import AzureAuditBase
from secloop.pipeline.azure.model import AzureFile

RULE = Rule(
    id="AZ-CURL-PIPE-SHELL",
    title="Azure Pipelines step pipes a downloaded script into a shell",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`curl … | sh` runs whatever the server returns at that moment, unreviewed and unverified, "
        "with the job's service connections and secrets."
    ),
    fix="Download to a file, verify its checksum or signature, then run it; or use a pinned image.",
    cwe=(494,),
    cicd_sec=(3,),
)


class CurlPipeShell(AzureAuditBase):
    rule = RULE

    def audit(self, file: AzureFile) -> Iterator[Finding]:
        for step in file.steps:
            for script in step.scripts:
                for match in PIPE_TO_SHELL.finditer(script.raw):
                    shown = " ".join(match.group(0).split())
                    yield self.finding(
                        file,
                        f"job {step.job or '(top)'!r} runs a downloaded script unverified: {shown}",
                        script.span(match.start(), match.end()),
                        key=(step.job, step.name or "", shown),
                    )
