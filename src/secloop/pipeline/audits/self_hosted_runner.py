"""GHA-SELF-HOSTED-RUNNER: jobs that run on machines the repository's owners keep themselves."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Scalar, Workflow

RULE = Rule(
    id="GHA-SELF-HOSTED-RUNNER",
    title="Job runs on a self-hosted runner",
    stage=Stage.PIPELINE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "A self-hosted runner is not wiped between jobs unless it is set up to be ephemeral, and it sits "
        "inside your network. On a public repository anyone can open a pull request whose workflow runs "
        "on it, leaving a persistent foothold, stealing later jobs' secrets or reaching internal hosts."
    ),
    fix=(
        "Prefer GitHub-hosted runners. Where self-hosted runners are needed, make them ephemeral "
        "(just-in-time, one job each), keep them in a runner group limited to private repositories and "
        "trusted workflows, and never let fork pull requests reach them."
    ),
    cwe=(668,),
    cicd_sec=(7,),
)

LABEL = "self-hosted"
# Events an outsider can cause, so code they wrote may reach the runner.
OUTSIDER_EVENTS = frozenset(
    {
        "pull_request",
        "pull_request_target",
        "pull_request_review",
        "pull_request_review_comment",
        "issue_comment",
    }
)
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")


def self_hosted_labels(job: Job) -> list[tuple[Scalar, Confidence]]:
    """The runs-on labels (or the matrix values they expand to) that name a self-hosted runner."""
    found: list[tuple[Scalar, Confidence]] = []
    for label in job.runs_on:
        text = label.text.strip().lower()
        if text == LABEL:
            found.append((label, Confidence.HIGH))
            continue
        ref = _MATRIX_REF.fullmatch(label.text.strip())
        if ref is not None:
            found += [
                (v, Confidence.HIGH) for v in job.matrix_values(ref.group(1)) if v.text.lower() == LABEL
            ]
        elif "${{" in text and LABEL in text:
            found.append((label, Confidence.MEDIUM))
    return found


class SelfHostedRunner(AuditBase):
    rule = RULE

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        exposed = sorted(workflow.events & OUTSIDER_EVENTS)
        for label, confidence in self_hosted_labels(job):
            if exposed:
                message = (
                    f"job {job.id!r} runs on a self-hosted runner and the workflow runs on "
                    f"{', '.join(exposed)}: on a public repository, code from forks can reach that machine"
                )
            else:
                message = (
                    f"job {job.id!r} runs on a self-hosted runner; keep it ephemeral and out of reach "
                    "of public repositories"
                )
            yield self.finding(
                workflow,
                message,
                label.location,
                job=job,
                key=(label.text.strip(),),
                severity=Severity.MEDIUM if exposed else Severity.LOW,
                confidence=confidence,
                properties=(("outsider_events", ",".join(exposed)),),
            )
