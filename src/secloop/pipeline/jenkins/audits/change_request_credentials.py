"""JK-PR-CREDENTIALS: a Jenkinsfile that builds pull requests and binds credentials."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.jenkins.audits.interface import JenkinsAuditBase
from secloop.pipeline.jenkins.model import Jenkinsfile

RULE = Rule(
    id="JK-PR-CREDENTIALS",
    title="Jenkins pipeline builds pull requests and binds credentials",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    description=(
        "A multibranch pipeline that builds change requests runs the pull request's Jenkinsfile and "
        "build scripts (for forks too, unless the trust setting forbids it). Credentials bound in that "
        "build are available to the change under review."
    ),
    fix=(
        "Bind credentials only in stages with `when { not { changeRequest() } }` (or on the main "
        "branch), and set the multibranch source to trust forks' Jenkinsfiles from nobody."
    ),
    cwe=(829, 269),
    cicd_sec=(4,),
)


class ChangeRequestCredentials(JenkinsAuditBase):
    rule = RULE

    def audit(self, file: Jenkinsfile) -> Iterator[Finding]:
        if not file.change_requests or not file.credential_vars:
            return
        name, offset = file.credential_vars[0]
        line, _ = file.position(file.change_requests[0])
        yield self.finding(
            file,
            f"the pipeline builds pull requests (line {line}) and binds credential {name}; keep "
            "credentials out of change-request builds",
            file.location(offset),
            key=(name,),
        )
