"""The Azure Pipelines audit seam: each audit looks at one parsed azure-pipelines file at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Protocol

from secloop.core.enums import Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.azure.model import AzureFile


class AzureAudit(Protocol):
    rule: ClassVar[Rule]

    def audit(self, file: AzureFile) -> Iterable[Finding]: ...


class AzureAuditBase:
    rule: ClassVar[Rule]

    def finding(
        self,
        file: AzureFile,
        message: str,
        location: Location,
        *,
        key: tuple[str, ...] = (),
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            rule_id=self.rule.id,
            severity=severity or self.rule.severity,
            confidence=self.rule.confidence,
            message=message,
            locations=(location,),
            fingerprint=keyed_fingerprint(self.rule.id, file.path, *key),
            properties=(("file", file.path),),
            fix=self.rule.fix,
        )
