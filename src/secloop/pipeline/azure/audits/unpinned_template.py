"""AZ-UNPINNED-REPOSITORY: templates or code taken from another repository's moving branch."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.azure.audits.interface import AzureAuditBase
from secloop.pipeline.azure.model import AzureFile

RULE = Rule(
    id="AZ-UNPINNED-REPOSITORY",
    title="Repository resource follows a branch (templates can change under the pipeline)",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "A `resources.repositories` entry without `ref:`, or with a branch, gives this pipeline "
        "whatever that branch holds at run time: templates (`template: x.yml@alias`) and checked-out "
        "code that anyone with push rights there can change, with this pipeline's permissions."
    ),
    fix="Set `ref: refs/tags/<version>` on the repository resource, and protect those tags.",
    cwe=(829,),
    cicd_sec=(3,),
)


class UnpinnedRepository(AzureAuditBase):
    rule = RULE

    def audit(self, file: AzureFile) -> Iterator[Finding]:
        for repo in file.repositories:
            ref = repo.ref.text.strip() if repo.ref is not None else ""
            if ref.startswith("refs/tags/"):
                continue
            why = f"follows the branch {ref!r}" if ref else "has no `ref:`, so it follows the default branch"
            yield self.finding(
                file,
                f"repository resource {repo.alias!r} ({repo.name or '?'}) {why}",
                repo.ref.location if repo.ref is not None else repo.location,
                key=(repo.alias,),
            )
