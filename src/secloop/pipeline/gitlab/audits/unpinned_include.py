"""GL-UNPINNED-INCLUDE: configuration pulled from a URL or another project at a movable ref."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.gitlab.audits.interface import GitlabAuditBase
from secloop.pipeline.gitlab.model import GitlabFile, Include

RULE = Rule(
    id="GL-UNPINNED-INCLUDE",
    title="GitLab CI include not pinned to a commit",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "An `include:` of a remote URL, of another project without `ref:` (its default branch) or at a "
        "branch or tag, or of a component at `~latest`, merges whatever that source says today into "
        "this pipeline, with this project's variables and job token."
    ),
    fix=(
        "Include other projects and components at a full commit SHA (`ref: <sha>`, `component: …@<sha>`); "
        "for remote URLs add `integrity: sha256-…` or copy the file into the repository."
    ),
    cwe=(829,),
    cicd_sec=(3,),
)
FULL_SHA = re.compile(r"[0-9a-fA-F]{40}")


def include_problem(include: Include) -> str | None:
    if include.kind == "remote":
        return None if include.integrity else "is fetched from a URL without `integrity:`"
    if include.kind == "project":
        if include.ref is None:
            return "has no `ref:`, so it follows the project's default branch"
        ref = include.ref.text.strip()
        return None if FULL_SHA.fullmatch(ref) else f"uses the movable ref {ref!r}"
    if include.kind == "component":
        version = include.value.text.strip().rsplit("@", 1)
        if len(version) == 1:
            return "has no version"
        if FULL_SHA.fullmatch(version[1]):
            return None
        return f"uses the movable version {version[1]!r}"
    return None


class UnpinnedInclude(GitlabAuditBase):
    rule = RULE

    def audit_file(self, file: GitlabFile) -> Iterator[Finding]:
        for include in file.includes:
            problem = include_problem(include)
            if problem is None:
                continue
            remote = include.kind == "remote"
            yield self.finding(
                file,
                f"include {include.kind} {include.value.text.strip()} {problem}",
                include.value.location,
                key=(include.kind, include.value.text.strip()),
                severity=Severity.HIGH if remote else None,
            )
