"""`DOCKER-UNPINNED-BASE-IMAGE`, declared once: the IaC engine and the operate evaluator both raise it."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule

UNPINNED_BASE_IMAGE = Rule(
    id="DOCKER-UNPINNED-BASE-IMAGE",
    title="Dockerfile base image is not pinned",
    stage=Stage.OPERATE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "A FROM line names an image without a tag or with :latest. The tag moves, so two builds of the "
        "same commit can ship different base layers, and a compromised or broken upstream image is "
        "picked up silently."
    ),
    fix="Pin an explicit version tag, better a digest: FROM python:3.12-slim@sha256:<digest>.",
    cwe=(1357,),
    cicd_sec=(3,),
    tags=("docker", "supply-chain", "immutable-infrastructure"),
)
