"""GL-CURL-PIPE-SHELL: a downloaded script piped into a shell in a GitLab CI job."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.curl_pipe_shell import PIPE_TO_SHELL
from secloop.pipeline.gitlab.audits.interface import GitlabAuditBase
from secloop.pipeline.gitlab.model import GitlabFile, GitlabJob

RULE = Rule(
    id="GL-CURL-PIPE-SHELL",
    title="GitLab CI job pipes a downloaded script into a shell",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`curl … | sh` runs whatever the server returns at that moment, unreviewed and unverified, "
        "with the job's variables and token."
    ),
    fix=(
        "Download to a file, verify its checksum or signature, then run it; or use a pinned image "
        "that has the tool."
    ),
    cwe=(494,),
    cicd_sec=(3,),
)


class GitlabCurlPipeShell(GitlabAuditBase):
    rule = RULE

    def audit_job(self, file: GitlabFile, job: GitlabJob) -> Iterator[Finding]:
        for index, script in enumerate(job.scripts):
            for match in PIPE_TO_SHELL.finditer(script.raw):
                shown = " ".join(match.group(0).split())
                yield self.finding(
                    file,
                    f"job {job.name!r} runs a downloaded script unverified: {shown}",
                    script.span(match.start(), match.end()),
                    job=job,
                    key=(str(index), shown),
                )
