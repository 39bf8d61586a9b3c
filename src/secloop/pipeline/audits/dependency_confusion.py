"""GHA-EXTRA-INDEX-URL: pip's `--extra-index-url` lets the public index win for a private name."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Entry, Job, Step, Workflow

RULE = Rule(
    id="GHA-EXTRA-INDEX-URL",
    title="pip installs with an extra index (dependency confusion)",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "pip treats `--extra-index-url` (or PIP_EXTRA_INDEX_URL) as equal to PyPI and installs the "
        "highest version it finds on either. Anyone can publish a higher version of a private "
        "package's name on PyPI and have the build run it."
    ),
    fix=(
        "Serve private and public packages from one index (a proxy such as devpi or Artifactory) with "
        "`--index-url`, or use uv, whose default index strategy stops at the first index that has the name; "
        "pin with hashes (`--require-hashes`) either way."
    ),
    cwe=(427,),
    cicd_sec=(3,),
)
_PIP = re.compile(r"(?<!uv )\bpip3?(?:\.exe)?\s+install\b[^\n]*?(--extra-index-url\b)")
_ENV = ("PIP_EXTRA_INDEX_URL",)


class ExtraIndexUrl(AuditBase):
    rule = RULE

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        yield from self._env(workflow, None, None, workflow.env)

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        yield from self._env(workflow, job, None, job.env)

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        yield from self._env(workflow, job, step, step.env)
        if step.run is None:
            return
        for match in _PIP.finditer(step.run.raw):
            yield self.finding(
                workflow,
                f"step {step.key!r} runs `pip install --extra-index-url`: "
                "PyPI competes with the private index",
                step.run.span(match.start(1), match.end(1)),
                job=job,
                step=step,
                key=("run",),
            )

    def _env(
        self, workflow: Workflow, job: Job | None, step: Step | None, env: tuple[Entry, ...]
    ) -> Iterator[Finding]:
        for entry in env:
            if entry.key.upper() in _ENV:
                where = f"step {step.key!r}" if step else f"job {job.id!r}" if job else "the workflow"
                yield self.finding(
                    workflow,
                    f"{where} sets {entry.key}: PyPI competes with the private index",
                    entry.key_location,
                    job=job,
                    step=step,
                    key=("env", entry.key.upper()),
                )
