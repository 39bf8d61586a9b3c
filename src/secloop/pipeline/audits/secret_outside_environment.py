"""GHA-SECRET-OUTSIDE-ENVIRONMENT: a deployment secret used by a job bound to no environment."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits._common import iter_nodes, parsed
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.expressions import Index, Literal, Member, Name, Node
from secloop.pipeline.workflow import Job, Scalar, Workflow

RULE = Rule(
    id="GHA-SECRET-OUTSIDE-ENVIRONMENT",
    title="Deployment secret used outside a protected environment",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "A secret named for production, deployment or publishing, stored as a repository secret and "
        "used by a job without `environment:`, is given to that job on any branch that runs the "
        "workflow, with no required reviewer and no deployment-branch rule in between. As an "
        "environment secret it would only reach jobs that passed the environment's protection rules."
    ),
    fix=(
        "Move the secret to an environment (Settings > Environments) with required reviewers and "
        "deployment branches limited to main, and bind the deploying job to it with `environment:`."
    ),
    cwe=(522,),
    cicd_sec=(6,),
)
DEPLOYMENT_NAME = re.compile(r"PROD|DEPLOY|RELEASE|PUBLISH|LIVE_", re.IGNORECASE)


def _secret_names(node: Node) -> Iterator[str]:
    for sub in iter_nodes(node):
        if isinstance(sub, Member) and isinstance(sub.target, Name) and sub.target.name.lower() == "secrets":
            yield sub.name
        elif (
            isinstance(sub, Index)
            and isinstance(sub.target, Name)
            and sub.target.name.lower() == "secrets"
            and isinstance(sub.index, Literal)
            and isinstance(sub.index.value, str)
        ):
            yield sub.index.value


def _scalars(job: Job) -> Iterator[Scalar]:
    for entry in job.env:
        if entry.value is not None:
            yield entry.value
    for step in job.steps:
        for entry in (*step.with_, *step.env):
            if entry.value is not None:
                yield entry.value
        if step.run is not None:
            yield step.run


class SecretOutsideEnvironment(AuditBase):
    rule = RULE

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        if job.environment or job.uses is not None:
            return
        seen: set[str] = set()
        for scalar in _scalars(job):
            for expression in scalar.expressions():
                node = parsed(expression.text)
                if node is None:
                    continue
                for name in _secret_names(node):
                    if name.upper() in seen or not DEPLOYMENT_NAME.search(name):
                        continue
                    seen.add(name.upper())
                    yield self.finding(
                        workflow,
                        f"job {job.id!r} uses secrets.{name.upper()} but is bound to no environment, so no "
                        "protection rule stands between any branch and that secret",
                        expression.location,
                        job=job,
                        key=(name.upper(),),
                    )
