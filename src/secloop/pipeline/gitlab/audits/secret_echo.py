"""GL-SECRET-ECHO: a script printing a secret-looking variable or the whole environment into the log."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.gitlab.audits.interface import GitlabAuditBase
from secloop.pipeline.gitlab.model import GitlabFile, GitlabJob

RULE = Rule(
    id="GL-SECRET-ECHO",
    title="GitLab CI script prints secrets into the job log",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "Job logs are kept and readable by everyone with access to the project's pipelines (on public "
        "projects, by anyone). Masking only hides values that are set as masked and printed verbatim; "
        "`env`, `printenv`, `set -x` or an echo of a transformed value print them in clear."
    ),
    fix="Never print credentials; pass them to the tool through its environment or a file, and mask them.",
    cwe=(532,),
    cicd_sec=(6,),
)

_CREDENTIAL_VAR = (
    r"\$\{?(?:[A-Z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|PRIVATE_KEY|CREDENTIALS)[A-Z0-9_]*)\}?"
)
LEAK = re.compile(
    r"\b(?:echo|printf)\b[^\n|;&>]*"
    + _CREDENTIAL_VAR
    + r"|(?:^|[;&|]\s*)(?:env|printenv|export\s+-p)\s*(?:$|[;&|])"
    r"|\bset\s+-[a-wyz]*x",
    re.M,
)


class SecretEcho(GitlabAuditBase):
    rule = RULE

    def audit_job(self, file: GitlabFile, job: GitlabJob) -> Iterator[Finding]:
        for index, script in enumerate(job.scripts):
            match = LEAK.search(script.raw)
            if match is None:
                continue
            shown = " ".join(match.group(0).split())
            yield self.finding(
                file,
                f"job {job.name!r} prints secrets into the log: {shown}",
                script.span(match.start(), match.end()),
                job=job,
                key=(str(index),),
            )
