"""AZ-PERSIST-CREDENTIALS: `checkout` keeps the job's access token in the repository's git config."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.azure.audits.interface import AzureAuditBase
from secloop.pipeline.azure.model import AzureFile

RULE = Rule(
    id="AZ-PERSIST-CREDENTIALS",
    title="Azure Pipelines checkout persists the access token",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`persistCredentials: true` leaves System.AccessToken in .git/config for every later step, "
        "including the repository's own build scripts and the tools they download."
    ),
    fix="Remove `persistCredentials: true`; give the token to the one step that pushes, through `env:`.",
    cwe=(522,),
    cicd_sec=(6,),
)


class PersistCredentials(AzureAuditBase):
    rule = RULE

    def audit(self, file: AzureFile) -> Iterator[Finding]:
        for step in file.steps:
            setting = step.persist_credentials
            if step.checkout is None or setting is None or setting.text.strip().lower() != "true":
                continue
            yield self.finding(
                file,
                f"checkout of {step.checkout.text!r} in job {step.job or '(top)'!r} keeps the access "
                "token in .git/config",
                setting.location,
                key=(step.job, step.checkout.text),
            )
