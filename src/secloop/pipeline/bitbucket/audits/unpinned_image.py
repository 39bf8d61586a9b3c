"""BB-UNPINNED-IMAGE: build images, service images and pipes used by tag instead of digest."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.unpinned_image import image_problem
from secloop.pipeline.bitbucket.audits.interface import BitbucketAuditBase
from secloop.pipeline.bitbucket.model import BitbucketFile
from secloop.pipeline.workflow import Scalar

RULE = Rule(
    id="BB-UNPINNED-IMAGE",
    title="Bitbucket Pipelines image or pipe not pinned to a digest",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "Steps run inside the `image:` they name, and a `pipe:` is a container image too; by tag, "
        "whatever the tag points at when the step starts runs with the repository variables."
    ),
    fix="Reference images and pipes by digest (`image: node:20@sha256:<digest>`).",
    cwe=(829,),
    cicd_sec=(3,),
)


class BitbucketUnpinnedImage(BitbucketAuditBase):
    rule = RULE

    def audit(self, file: BitbucketFile) -> Iterator[Finding]:
        images: list[tuple[str, Scalar]] = []
        if file.image is not None:
            images.append(("default image", file.image))
        images += [("service image", s) for s in file.services]
        for step in file.steps:
            label = f"step {step.name!r}" if step.name else f"a {step.section} step"
            if step.image is not None:
                images.append((f"{label} image", step.image))
            images += [(f"{label} pipe", pipe) for pipe in step.pipes]
        seen: set[tuple[int | None, int | None]] = set()
        for role, image in images:
            where = (image.location.start_line, image.location.start_column)
            text = image.text.strip().removeprefix("docker://")
            problem = None if "$" in text or where in seen else image_problem(text)
            seen.add(where)
            if problem is None:
                continue
            yield self.finding(
                file, f"{role} {image.text.strip()} {problem}", image.location, key=(role, image.text)
            )
