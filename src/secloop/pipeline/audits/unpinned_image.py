"""GHA-UNPINNED-IMAGE: a job's `container:` or `services:` image used by tag instead of digest."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Scalar, Workflow

RULE = Rule(
    id="GHA-UNPINNED-IMAGE",
    title="Job container or service image not pinned to a digest",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "A tag such as `node:20` or `postgres:latest` is moved by whoever publishes the image; the "
        "job then runs whatever the tag points at today, with the job's token and secrets."
    ),
    fix="Reference the image by digest: `image: node:20@sha256:<digest>` (keep the tag for readers).",
    cwe=(829,),
    cicd_sec=(3,),
)


def image_problem(image: str) -> str | None:
    """Why an image reference is movable, or None when it is pinned (or not decidable here)."""
    text = image.strip()
    if not text or "${{" in text or "@sha256:" in text:
        return None
    last = text.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag (so `latest`)"
    tag = last.rsplit(":", 1)[1]
    return f"uses the movable tag {tag!r}"


class UnpinnedImage(AuditBase):
    rule = RULE

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        images: list[tuple[str, Scalar]] = []
        if job.container is not None:
            images.append(("container", job.container))
        images += [(f"service {e.key}", e.value) for e in job.services if e.value is not None]
        for role, image in images:
            problem = image_problem(image.text)
            if problem is None:
                continue
            yield self.finding(
                workflow,
                f"job {job.id!r} {role} image {image.text.strip()} {problem}; pin it by sha256 digest",
                image.location,
                job=job,
                key=(role, image.text.strip()),
            )
