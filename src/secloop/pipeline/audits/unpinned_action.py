"""GHA-UNPINNED-ACTION: actions and reusable workflows used by a ref that can move."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow

RULE = Rule(
    id="GHA-UNPINNED-ACTION",
    title="Action or reusable workflow not pinned to a full commit SHA",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "A tag or branch can be moved to other code at any time by whoever controls the action's "
        "repository (or steals its credentials, as in the tj-actions/changed-files compromise). Only "
        "a full 40-character commit SHA names immutable code."
    ),
    fix=(
        "Pin to the full commit SHA and keep the version in a comment, e.g. "
        "`uses: owner/action@<40-hex sha> # v4.2.1`; let Dependabot or Renovate update the pins."
    ),
    cwe=(829, 494),
    cicd_sec=(3, 9),
)

FULL_SHA = re.compile(r"[0-9a-fA-F]{40}")
DOCKER_DIGEST = re.compile(r"@sha256:[0-9a-fA-F]{64}$")
# Actions published by GitHub itself: still mutable tags, but a smaller risk than third parties.
GITHUB_OWNERS = frozenset({"actions", "github"})


def first_party(uses: str) -> bool:
    return uses.split("/", 1)[0].lower() in GITHUB_OWNERS


def problem(uses: str) -> str | None:
    """Why `uses` is not pinned, or None when it is pinned or local."""
    uses = uses.strip()
    if uses.startswith("./") or not uses:
        return None
    if uses.startswith("docker://"):
        return None if DOCKER_DIGEST.search(uses) else "a container image by tag, not by sha256 digest"
    if "@" not in uses:
        return "no ref at all"
    ref = uses.rsplit("@", 1)[1]
    if FULL_SHA.fullmatch(ref):
        return None
    if re.fullmatch(r"[0-9a-fA-F]{7,39}", ref):
        return f"a short SHA ({ref}), which can collide"
    return f"the movable ref {ref!r}"


class UnpinnedAction(AuditBase):
    rule = RULE

    def _check(self, workflow: Workflow, job: Job, step: Step | None, uses: Scalar) -> Iterator[Finding]:
        why = problem(uses.text)
        if why is None:
            return
        docker = uses.text.strip().startswith("docker://")
        owned = first_party(uses.text) and not docker
        pin = "a sha256 digest" if docker else "a full commit SHA"
        yield self.finding(
            workflow,
            f"{uses.text.strip()} is used by {why}; pin it to {pin}",
            uses.location,
            job=job,
            step=step,
            key=(uses.text.strip().rsplit("@", 1)[0],),
            severity=Severity.LOW if owned else Severity.MEDIUM,
            properties=(("uses", uses.text.strip()), ("owner", "github" if owned else "third-party")),
        )

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        if job.uses is not None:
            yield from self._check(workflow, job, None, job.uses)

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is not None:
            yield from self._check(workflow, job, step, step.uses)
