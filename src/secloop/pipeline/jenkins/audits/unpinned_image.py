"""JK-UNPINNED-IMAGE: a docker agent or docker.image() by tag instead of digest."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.unpinned_image import image_problem
from secloop.pipeline.jenkins.audits.interface import JenkinsAuditBase
from secloop.pipeline.jenkins.model import Jenkinsfile

RULE = Rule(
    id="JK-UNPINNED-IMAGE",
    title="Jenkins docker image not pinned to a digest",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`agent { docker { image 'node:20' } }` and `docker.image('node:20')` run whatever the tag "
        "points at when the build starts, with the build's credentials."
    ),
    fix="Reference the image by digest: `image 'node:20@sha256:<digest>'`.",
    cwe=(829,),
    cicd_sec=(3,),
)


class JenkinsUnpinnedImage(JenkinsAuditBase):
    rule = RULE

    def audit(self, file: Jenkinsfile) -> Iterator[Finding]:
        for image, offset in file.images:
            problem = None if "$" in image else image_problem(image)
            if problem is None:
                continue
            yield self.finding(file, f"docker image {image} {problem}", file.location(offset), key=(image,))
