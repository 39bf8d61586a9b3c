"""GHA-TOKEN-PUBLISHING: a release published with a long-lived registry token where OIDC would do."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Entry, Job, Step, Workflow, lookup

RULE = Rule(
    id="GHA-TOKEN-PUBLISHING",
    title="Package published with a long-lived token instead of trusted publishing",
    stage=Stage.PIPELINE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    description=(
        "PyPI, npm, crates.io and RubyGems accept a short-lived OIDC token from the workflow (trusted "
        "publishing). A stored API token instead lives until someone revokes it, works from anywhere, "
        "and leaks with the secrets store or a compromised step."
    ),
    fix=(
        "Configure trusted publishing for the package on the registry, grant the publishing job "
        "`id-token: write`, and delete the stored token."
    ),
    cwe=(798,),
    cicd_sec=(6,),
)
# (registry, command in a run step, environment variable that carries the token)
_COMMANDS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("PyPI", re.compile(r"\btwine\s+upload\b"), ("TWINE_PASSWORD",)),
    (
        "PyPI",
        re.compile(r"\b(?:uv|hatch|flit|pdm)\s+publish\b"),
        (
            "UV_PUBLISH_TOKEN",
            "UV_PUBLISH_PASSWORD",
            "HATCH_INDEX_AUTH",
            "FLIT_PASSWORD",
            "PDM_PUBLISH_PASSWORD",
        ),
    ),
    ("PyPI", re.compile(r"\bpoetry\s+publish\b"), ("POETRY_PYPI_TOKEN_PYPI",)),
    ("npm", re.compile(r"\b(?:npm|pnpm|yarn)\s+(?:npm\s+)?publish\b"), ("NODE_AUTH_TOKEN", "NPM_TOKEN")),
    ("crates.io", re.compile(r"\bcargo\s+publish\b"), ("CARGO_REGISTRY_TOKEN",)),
    ("RubyGems", re.compile(r"\bgem\s+push\b"), ("GEM_HOST_API_KEY",)),
)
_TOKEN_FLAG = re.compile(r"--(?:token|password|api-key)\b|\s-[pu]\s")
PYPI_ACTION = "pypa/gh-action-pypi-publish"


def _from_secret(entry: Entry | None) -> bool:
    return entry is not None and entry.value is not None and "secrets." in entry.value.text


class TokenPublishing(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses_action(PYPI_ACTION):
            password = lookup(step.with_, "password")
            if _from_secret(password) and password is not None:
                yield self.finding(
                    workflow,
                    f"step {step.key!r} uploads to PyPI with a stored token (`password:`)",
                    password.key_location,
                    job=job,
                    step=step,
                    key=("PyPI",),
                )
            return
        if step.run is None:
            return
        env = (*workflow.env, *job.env, *step.env)
        for registry, command, variables in _COMMANDS:
            match = command.search(step.run.text)
            if match is None:
                continue
            line_end = step.run.text.find("\n", match.end())
            line = step.run.text[match.start() : None if line_end < 0 else line_end]
            carried = [v for v in variables if _from_secret(lookup(env, v))]
            if not carried and not ("secrets." in line and _TOKEN_FLAG.search(line)):
                continue
            how = f"{carried[0]} from a secret" if carried else "a token from a secret on the command line"
            yield self.finding(
                workflow,
                f"step {step.key!r} publishes to {registry} with {how}",
                step.run.location,
                job=job,
                step=step,
                key=(registry,),
            )
