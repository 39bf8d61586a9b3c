"""GHA-HARDCODED-CREDENTIAL: a password or token written as a literal into `with:` or `env:`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Entry, Job, Step, Workflow

RULE = Rule(
    id="GHA-HARDCODED-CREDENTIAL",
    title="Credential written literally in the workflow",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "A password, token or API key typed into `with:` or `env:` is readable by everyone who can "
        "read the repository, stays in its history forever, and is not masked in logs."
    ),
    fix="Store it as an encrypted secret (or, better, use OIDC) and reference `${{ secrets.NAME }}`.",
    cwe=(798,),
    cicd_sec=(6,),
)

# The last word of the key decides: NPM_TOKEN, github-token, db_password, client-secret, api-key.
_WORD = re.compile(r"[-_ ]+")
CREDENTIAL_WORDS = frozenset({"password", "passwd", "pwd", "token", "secret", "apikey", "credentials"})
_PLACEHOLDER = re.compile(r"^(?:true|false|yes|no|null|none|\*+|x+|changeme|<.*>|\d{1,6})$", re.I)
_NOT_A_VALUE = re.compile(r"\$\{\{|\$\{?[A-Za-z_]|^\s*$")
# Some actions take the *name* of a variable that holds the secret (setup-java's server-password).
_VARIABLE_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def credential_key(key: str) -> bool:
    words = [w for w in _WORD.split(key.lower()) if w]
    if not words:
        return False
    last = words[-1]
    if last == "key" and len(words) > 1 and words[-2] in ("api", "access", "private", "secret"):
        return True
    return last in CREDENTIAL_WORDS or (len(words) == 1 and words[0].endswith(("password", "apikey")))


def literal_credential(entry: Entry) -> bool:
    if entry.value is None or not credential_key(entry.key):
        return False
    value = entry.value.text.strip()
    return (
        len(value) >= 4
        and not _NOT_A_VALUE.search(value)
        and not _PLACEHOLDER.match(value)
        and not _VARIABLE_NAME.match(value)
    )


class HardcodedCredential(AuditBase):
    rule = RULE

    def audit_workflow(self, workflow: Workflow) -> Iterator[Finding]:
        yield from self._check(workflow, workflow.env, "env", None, None)

    def audit_job(self, workflow: Workflow, job: Job) -> Iterator[Finding]:
        yield from self._check(workflow, job.env, "env", job, None)

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        yield from self._check(workflow, step.env, "env", job, step)
        yield from self._check(workflow, step.with_, "with", job, step)

    def _check(
        self, workflow: Workflow, entries: tuple[Entry, ...], where: str, job: Job | None, step: Step | None
    ) -> Iterator[Finding]:
        for entry in entries:
            if not literal_credential(entry) or entry.value is None:
                continue
            yield self.finding(
                workflow,
                f"{where} {entry.key} holds a literal value ({len(entry.value.text.strip())} characters) "
                "instead of a secret reference",
                entry.value.location,
                job=job,
                step=step,
                key=(where, entry.key),
            )
