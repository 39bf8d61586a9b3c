"""GHA-CURL-PIPE-SHELL: scripts downloaded and run without any integrity check."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.fingerprint import normalise
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow

RULE = Rule(
    id="GHA-CURL-PIPE-SHELL",
    title="Remote script piped into a shell",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`curl … | sh` runs whatever the server returns at that moment, with the job's token and "
        "secrets: a compromised or hijacked download host (or a changed install script) becomes code "
        "execution in your pipeline, and nothing records what ran."
    ),
    fix=(
        "Download to a file, verify its checksum or signature against a pinned value, then run it; "
        "or use a pinned action or package that does the same."
    ),
    cwe=(494,),
    cicd_sec=(3,),
)

_SHELL = r"(?:sudo\s+(?:-\S+\s+)*)?(?:/usr)?(?:/bin/)?(?:ba|z|da|k)?sh\b"
PIPE_TO_SHELL = re.compile(
    r"\b(?:curl|wget)\b(?:[^\n|;&]|\\\n)*\|\s*"
    + _SHELL
    + r"|\b(?:ba|z|da)?sh\s+(?:-c\s+)?[\"']?(?:\$\(|<\(|`)\s*(?:curl|wget)\b"
)


class CurlPipeShell(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.run is None:
            return
        seen: dict[str, int] = {}
        for match in PIPE_TO_SHELL.finditer(step.run.raw):
            command = normalise(match.group(0))
            occurrence = seen.get(command, 0)
            seen[command] = occurrence + 1
            line_end = step.run.raw.find("\n", match.end())
            shown = " ".join(step.run.raw[match.start() : None if line_end < 0 else line_end].split())
            shown = shown if len(shown) <= 120 else shown[:117] + "..."
            yield self.finding(
                workflow,
                f"step {step.key!r} runs a downloaded script unverified: {shown}",
                step.run.span(match.start(), match.end()),
                job=job,
                step=step,
                key=(command, str(occurrence)),
            )
