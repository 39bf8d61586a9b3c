"""The GitLab audit seam: the engine offers each audit every file and every job of it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Protocol

from secloop.core.enums import Confidence, Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.gitlab.model import GitlabFile, GitlabJob


class GitlabAudit(Protocol):
    rule: ClassVar[Rule]

    def audit_file(self, file: GitlabFile) -> Iterable[Finding]: ...

    def audit_job(self, file: GitlabFile, job: GitlabJob) -> Iterable[Finding]: ...


class GitlabAuditBase:
    rule: ClassVar[Rule]

    def audit_file(self, file: GitlabFile) -> Iterator[Finding]:
        return iter(())

    def audit_job(self, file: GitlabFile, job: GitlabJob) -> Iterator[Finding]:
        return iter(())

    def finding(
        self,
        file: GitlabFile,
        message: str,
        location: Location,
        *,
        job: GitlabJob | None = None,
        key: tuple[str, ...] = (),
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        props: list[tuple[str, str]] = [("file", file.path)]
        if job is not None:
            props.append(("job", job.name))
        return Finding(
            rule_id=self.rule.id,
            severity=severity or self.rule.severity,
            confidence=confidence or self.rule.confidence,
            message=message,
            locations=(location,),
            fingerprint=keyed_fingerprint(self.rule.id, file.path, job.name if job else "", *key),
            properties=tuple(props),
            fix=self.rule.fix,
        )
