"""GHA-EXCESSIVE-PERMISSIONS: a GITHUB_TOKEN that can write more than the job needs."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Workflow

RULE = Rule(
    id="GHA-EXCESSIVE-PERMISSIONS",
    title="Workflow token has more permissions than it needs",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "Every job gets a GITHUB_TOKEN. Without a `permissions:` block it gets the repository's "
        "default, which is read-write on repositories created before February 2023 and in many "
        "organisations; `write-all` or write scopes at the workflow level hand that power to every "
        "job, so one compromised step can push code, publish packages or alter releases."
    ),
    fix=(
        "Declare `permissions: {}` (or `contents: read`) at the top of the workflow and grant each job "
        "only the write scopes it needs, in the job's own `permissions:`."
    ),
    cwe=(250,),
    cicd_sec=(5,),
)

# Values of the `kind` property; evaluators decide status from them.
KIND_DEFAULT = "default"
KIND_WRITE_ALL = "write-all"
KIND_WRITE_SCOPE = "write-scope"
KIND_JOB_WRITE_ALL = "job-write-all"


class ExcessivePermissions(AuditBase):
    rule = RULE

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        perms = workflow.permissions
        if perms is None:
            return
        if perms.write_all:
            yield self.finding(
                workflow,
                "`permissions: write-all` gives every job of the workflow a token that can write everywhere",
                perms.location,
                key=(KIND_WRITE_ALL,),
                severity=Severity.HIGH,
                properties=(("kind", KIND_WRITE_ALL),),
            )
        for scope in perms.writes:
            yield self.finding(
                workflow,
                f"`{scope.key}: write` at the workflow level is granted to every job; "
                "grant it in the job that needs it",
                scope.key_location,
                key=(KIND_WRITE_SCOPE, scope.key),
                properties=(("kind", KIND_WRITE_SCOPE), ("scope", scope.key)),
            )

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        if job.permissions is None:
            if workflow.permissions is None:
                yield self.finding(
                    workflow,
                    f"job {job.id!r} declares no `permissions:` and neither does the workflow: its token "
                    "gets the repository default, which may be read-write",
                    job.location,
                    job=job,
                    key=(KIND_DEFAULT,),
                    confidence=Confidence.MEDIUM,
                    properties=(("kind", KIND_DEFAULT),),
                )
        elif job.permissions.write_all:
            yield self.finding(
                workflow,
                f"job {job.id!r} asks for `permissions: write-all`; list the scopes it writes instead",
                job.permissions.location,
                job=job,
                key=(KIND_JOB_WRITE_ALL,),
                properties=(("kind", KIND_JOB_WRITE_ALL),),
            )
