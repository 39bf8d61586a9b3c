"""BB-PR-DEPLOYMENT: a pull-request pipeline step that deploys or requests an OIDC token."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.bitbucket.audits.interface import BitbucketAuditBase
from secloop.pipeline.bitbucket.model import BitbucketFile

RULE = Rule(
    id="BB-PR-DEPLOYMENT",
    title="Pull request pipeline deploys or requests cloud identity",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "`pull-requests:` pipelines run the pull request's own bitbucket-pipelines.yml and scripts "
        "before anyone approves it. A step there with `deployment:` receives that environment's "
        "variables, and `oidc: true` gives it a token the cloud accepts as this repository."
    ),
    fix=(
        "Deploy and request OIDC tokens only from `branches:` pipelines of protected branches, with "
        "deployment permissions restricted to them."
    ),
    cwe=(269, 829),
    cicd_sec=(4,),
)


class PullRequestDeployment(BitbucketAuditBase):
    rule = RULE

    def audit(self, file: BitbucketFile) -> Iterator[Finding]:
        for step in file.steps:
            if step.section != "pull-requests" or not (step.deployment or step.oidc):
                continue
            what = (
                f"deploys to {step.deployment.text.strip()!r}"
                if step.deployment
                else "requests an OIDC token"
            )
            yield self.finding(
                file,
                f"step {step.name or '(unnamed)'!r} of the pull-requests pipeline {step.trigger!r} {what}",
                step.deployment.location if step.deployment else step.location,
                key=(step.trigger, step.name or ""),
            )
