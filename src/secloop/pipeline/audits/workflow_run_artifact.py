"""GHA-WORKFLOW-RUN-ARTIFACT: a workflow_run workflow downloading the triggering run's artifacts and
then running commands, so files a fork produced flow into a privileged job."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow, lookup

RULE = Rule(
    id="GHA-WORKFLOW-RUN-ARTIFACT",
    title="workflow_run job downloads untrusted artifacts and runs commands",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "A workflow_run workflow runs with the base repository's secrets and a write token, but the "
        "run that triggered it may have been a fork's pull request. Its artifacts are attacker-made "
        "files: unpacking them into the workspace and then running a script, a build tool or even "
        "`cat file >> $GITHUB_ENV` lets the fork execute code in the privileged job."
    ),
    fix=(
        "Download artifacts into a directory outside the workspace (e.g. ${{ runner.temp }}), treat "
        "them strictly as data (validate numbers, never source or execute them), and keep secrets "
        "out of that job."
    ),
    cwe=(829, 494),
    cicd_sec=(4,),
)

DOWNLOADERS = ("actions/download-artifact", "dawidd6/action-download-artifact")
# Commands that run (or load) files from the workspace, where the artifact was unpacked.
EXECUTES = re.compile(
    r"(?:^|[;&|(\s])(?:\./|\.\s|source\s|bash\s|sh\s|python3?\s|node\s|npm\s|npx\s|yarn\b|pnpm\s"
    r"|make\b|cargo\s|go\s+run|mvn\b|gradle|pip\s+install|unzip\s|tar\s)"
    r"|\$\{?GITHUB_(?:ENV|PATH|OUTPUT)\b",
)
DOWNLOAD_RUN = re.compile(r"\bgh\s+run\s+download\b|listWorkflowRunArtifacts|downloadArtifact")


def download(step: Step) -> Location | None:
    if step.uses is not None:
        if step.uses_action("dawidd6/action-download-artifact"):
            return step.uses.location
        # download-artifact reads another run only when given run-id (and a token).
        if step.uses_action("actions/download-artifact") and lookup(step.with_, "run-id") is not None:
            return step.uses.location
        if step.uses_action("actions/github-script"):
            script = lookup(step.with_, "script")
            if script is not None and script.value is not None:
                match = DOWNLOAD_RUN.search(script.value.raw)
                if match:
                    return script.value.span(match.start(), match.end())
    if step.run is not None and (match := DOWNLOAD_RUN.search(step.run.raw)):
        return step.run.span(match.start(), match.end())
    return None


class WorkflowRunArtifact(AuditBase):
    rule = RULE

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        if "workflow_run" not in workflow.events:
            return
        for step in job.steps:
            where = download(step)
            if where is None:
                continue
            later = [s for s in job.steps[step.index + 1 :] if s.run is not None]
            if not later:
                continue
            executing = [s for s in later if s.run is not None and EXECUTES.search(s.run.text)]
            shown = (executing or later)[0]
            yield self.finding(
                workflow,
                f"job {job.id!r} downloads artifacts of the triggering run in step {step.key!r} and "
                f"then {'executes workspace files' if executing else 'runs commands'} (step "
                f"{shown.key!r}) with this workflow's privileges",
                where,
                job=job,
                step=step,
                severity=Severity.HIGH if executing else Severity.MEDIUM,
                confidence=Confidence.MEDIUM if executing else Confidence.LOW,
                related=tuple(s.run.location for s in (shown,) if s.run is not None),
            )
