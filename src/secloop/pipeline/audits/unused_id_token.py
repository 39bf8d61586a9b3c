"""GHA-UNUSED-ID-TOKEN: `id-token: write` granted to a job that never asks for an OIDC token."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits._common import effective_permissions, scope_entry
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Workflow

RULE = Rule(
    id="GHA-UNUSED-ID-TOKEN",
    title="`id-token: write` on a job that uses no OIDC",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "`id-token: write` lets every step of the job mint an OIDC token that cloud providers and "
        "registries accept as the repository's identity. A job that never exchanges one only gives a "
        "compromised dependency or action a way into those accounts."
    ),
    fix="Grant `id-token: write` only on the job that logs in to the cloud or publishes, and nowhere else.",
    cwe=(250,),
    cicd_sec=(5,),
)

# Actions (owner/repo prefixes) and commands known to request the job's OIDC token.
OIDC_ACTIONS = (
    "aws-actions/configure-aws-credentials",
    "azure/login",
    "google-github-actions/auth",
    "hashicorp/vault-action",
    "pypa/gh-action-pypi-publish",
    "actions/attest",
    "actions/attest-build-provenance",
    "actions/attest-sbom",
    "sigstore/",
    "slsa-framework/",
    "actions/deploy-pages",
    "docker/login-action",
    "octo-sts/action",
    "rust-lang/crates-io-auth-action",
    "jfrog/setup-jfrog-cli",
)
OIDC_RUN = re.compile(
    r"ACTIONS_ID_TOKEN_REQUEST|getIDToken|\bcosign\b|\bgh\s+attestation\b|--provenance\b"
    r"|\b(?:uv|twine|flit|poetry|hatch|pdm)\s+publish\b|\bnpm\s+publish\b|trusted.publish",
    re.I,
)


def uses_oidc(job: Job) -> bool:
    if job.uses is not None:  # a reusable workflow decides for itself
        return True
    for step in job.steps:
        if step.uses is not None:
            name = step.uses.text.strip().lower()
            if name.startswith("./") or any(name.startswith(a) for a in OIDC_ACTIONS):
                return True
        if step.run is not None and OIDC_RUN.search(step.run.text):
            return True
        if any(e.value is not None and OIDC_RUN.search(e.value.text) for e in step.with_):
            return True
    return False


class UnusedIdToken(AuditBase):
    rule = RULE

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        perms = effective_permissions(workflow, job)
        entry = scope_entry(perms, "id-token")
        if entry is None or entry.value is None or entry.value.text.strip() != "write":
            return
        if uses_oidc(job):
            return
        level = "its own" if job.permissions is not None else "the workflow's"
        yield self.finding(
            workflow,
            f"job {job.id!r} gets `id-token: write` from {level} permissions but no step requests "
            "an OIDC token",
            entry.key_location,
            job=job,
        )
