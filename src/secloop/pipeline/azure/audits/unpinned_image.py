"""AZ-UNPINNED-IMAGE: a container image used by tag, not by digest."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.unpinned_image import image_problem
from secloop.pipeline.azure.audits.interface import AzureAuditBase
from secloop.pipeline.azure.model import AzureFile

RULE = Rule(
    id="AZ-UNPINNED-IMAGE",
    title="Azure Pipelines container image not pinned by digest",
    stage=Stage.PIPELINE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "A tag can be pushed again with other contents; the job then runs whatever image the registry "
        "serves that day, with the pipeline's secrets."
    ),
    fix="Reference the image by digest (`image@sha256:…`), keeping the tag in a comment.",
    cwe=(829,),
    cicd_sec=(3,),
)


class UnpinnedImage(AzureAuditBase):
    rule = RULE

    def audit(self, file: AzureFile) -> Iterator[Finding]:
        for where, image in file.images:
            problem = image_problem(image.text)
            if problem is None:
                continue
            yield self.finding(
                file, f"{where} image {image.text!r} {problem}", image.location, key=(where, image.text)
            )
