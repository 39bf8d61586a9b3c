"""The Jenkins audit seam: each audit looks at one Jenkinsfile at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Protocol

from secloop.core.enums import Confidence, Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.jenkins.model import Jenkinsfile


class JenkinsAudit(Protocol):
    rule: ClassVar[Rule]

    def audit(self, file: Jenkinsfile) -> Iterable[Finding]: ...


class JenkinsAuditBase:
    rule: ClassVar[Rule]

    def finding(
        self,
        file: Jenkinsfile,
        message: str,
        location: Location,
        *,
        key: tuple[str, ...] = (),
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        return Finding(
            rule_id=self.rule.id,
            severity=severity or self.rule.severity,
            confidence=confidence or self.rule.confidence,
            message=message,
            locations=(location,),
            fingerprint=keyed_fingerprint(self.rule.id, file.path, *key),
            properties=(("file", file.path),),
            fix=self.rule.fix,
        )
