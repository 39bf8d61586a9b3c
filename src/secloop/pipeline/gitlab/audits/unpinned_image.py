"""GL-UNPINNED-IMAGE: a job, default or service image used by tag instead of digest."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.unpinned_image import image_problem
from secloop.pipeline.gitlab.audits.interface import GitlabAuditBase
from secloop.pipeline.gitlab.model import GitlabFile, GitlabJob
from secloop.pipeline.workflow import Scalar

RULE = Rule(
    id="GL-UNPINNED-IMAGE",
    title="GitLab CI image not pinned to a digest",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`image:` and `services:` by tag run whatever the tag points at when the job starts; whoever "
        "can push that tag runs code with the job's variables and token."
    ),
    fix="Reference images by digest: `image: python:3.12@sha256:<digest>`.",
    cwe=(829,),
    cicd_sec=(3,),
)


def _problems(images: tuple[Scalar, ...]) -> Iterator[tuple[Scalar, str]]:
    for image in images:
        text = image.text.strip()
        # GitLab variables ($IMAGE) are decided at run time.
        problem = None if "$" in text else image_problem(text)
        if problem is not None:
            yield image, problem


class GitlabUnpinnedImage(GitlabAuditBase):
    rule = RULE

    def audit_file(self, file: GitlabFile) -> Iterator[Finding]:
        images = ((file.image,) if file.image else ()) + file.services
        for image, problem in _problems(images):
            yield self.finding(
                file, f"default image {image.text.strip()} {problem}", image.location, key=(image.text,)
            )

    def audit_job(self, file: GitlabFile, job: GitlabJob) -> Iterator[Finding]:
        images = ((job.image,) if job.image else ()) + job.services
        for image, problem in _problems(images):
            yield self.finding(
                file,
                f"job {job.name!r} image {image.text.strip()} {problem}",
                image.location,
                job=job,
                key=(image.text,),
            )
