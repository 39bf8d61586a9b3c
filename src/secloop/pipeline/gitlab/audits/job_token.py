"""GL-JOB-TOKEN-MISUSE: CI_JOB_TOKEN printed, stored, or sent somewhere other than this GitLab."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.gitlab.audits.interface import GitlabAuditBase
from secloop.pipeline.gitlab.model import GitlabFile, GitlabJob

RULE = Rule(
    id="GL-JOB-TOKEN-MISUSE",
    title="CI_JOB_TOKEN leaves the job",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "CI_JOB_TOKEN acts as the user who started the pipeline on every project its allowlist "
        "admits. Printing it, writing it to a file that becomes an artifact or cache, or sending it "
        "to another host hands that access to whoever reads the log, the artifact or the host."
    ),
    fix=(
        "Use CI_JOB_TOKEN only against $CI_SERVER_URL / $CI_API_V4_URL / $CI_REGISTRY, never print or "
        "persist it, and restrict the project's job token allowlist."
    ),
    cwe=(522,),
    cicd_sec=(6,),
)

TOKEN = re.compile(r"\$\{?CI_JOB_TOKEN\b")
PRINT = re.compile(r"\b(?:echo|printf|tee)\b|>>?\s*[\w./$-]")
URL = re.compile(r"https?://[^\s\"'/]+")
SAFE_HOST = re.compile(
    r"\$\{?CI_(?:SERVER_(?:URL|HOST|FQDN)|API_V4_URL|REGISTRY|PROJECT_URL)|gitlab-ci-token@\$"
)


def misuse(line: str) -> str | None:
    if TOKEN.search(line) is None:
        return None
    if "docker login" in line or "--password-stdin" in line:
        return None
    url = URL.search(line)
    if url is not None and not SAFE_HOST.search(line):
        return f"sends it to {url.group(0)}"
    if PRINT.search(line) and "Authorization" not in line:
        return "prints or writes it"
    return None


class JobTokenMisuse(GitlabAuditBase):
    rule = RULE

    def audit_job(self, file: GitlabFile, job: GitlabJob) -> Iterator[Finding]:
        for index, script in enumerate(job.scripts):
            offset = 0
            for line in script.raw.splitlines(keepends=True):
                start, offset = offset, offset + len(line)
                what = misuse(line)
                if what is None:
                    continue
                token = TOKEN.search(line)
                assert token is not None
                yield self.finding(
                    file,
                    f"job {job.name!r} uses CI_JOB_TOKEN and {what}",
                    script.span(start + token.start(), start + token.end()),
                    job=job,
                    key=(str(index), what),
                )
