"""GL-MR-SECRETS: a job that runs for merge requests and uses secrets or cloud identity tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.gitlab.audits.interface import GitlabAuditBase
from secloop.pipeline.gitlab.model import GitlabFile, GitlabJob

RULE = Rule(
    id="GL-MR-SECRETS",
    title="Merge request job uses secrets or cloud identity tokens",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "A merge request pipeline runs the merge request's own `.gitlab-ci.yml` and scripts. When it "
        "runs in the parent project (for members' branches, or for forks when that setting is on) "
        "anything the job can reach — CI/CD variables that are not protected, `id_tokens` for cloud "
        "logins, `secrets:` from a vault — is reachable by the change under review."
    ),
    fix=(
        "Mark deployment variables as protected (they then reach protected branches only), keep "
        "`id_tokens:` and `secrets:` in jobs whose rules limit them to the default branch or tags, "
        "and do not run fork merge requests in the parent project."
    ),
    cwe=(269, 829),
    cicd_sec=(4,),
)

MR = re.compile(r"merge_request_event|\bmerge_requests\b|CI_MERGE_REQUEST_")
SECRET_VAR = re.compile(
    r"\$\{?(?!CI_)([A-Z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|PRIVATE_KEY|CREDENTIALS)[A-Z0-9_]*)\b"
)


class MergeRequestSecrets(GitlabAuditBase):
    rule = RULE

    def audit_job(self, file: GitlabFile, job: GitlabJob) -> Iterator[Finding]:
        trigger = next((r for r in job.rules if MR.search(r.text)), None)
        if trigger is None:
            return
        used = [f"id_tokens {e.key}" for e in job.id_tokens] + [f"secrets {e.key}" for e in job.secrets]
        variables = sorted({m.group(1) for s in job.scripts for m in SECRET_VAR.finditer(s.text)})
        used += [f"${name}" for name in variables]
        if not used:
            return
        yield self.finding(
            file,
            f"job {job.name!r} runs for merge requests and uses {', '.join(used[:5])}",
            trigger.location,
            job=job,
            severity=Severity.HIGH if job.id_tokens or job.secrets else None,
        )
