"""GHA-ARCHIVED-ACTION: a step uses an action whose repository is archived (no more security fixes)."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits.interface import AuditBase
from secloop.pipeline.workflow import Job, Step, Workflow

RULE = Rule(
    id="GHA-ARCHIVED-ACTION",
    title="Action from an archived repository",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "An archived action gets no fixes: a vulnerability found in it, or in the runtime it bundles, "
        "stays in every workflow that uses it. Most were archived with a maintained successor named."
    ),
    fix="Move to the successor named in the finding, pinned by commit SHA.",
    cwe=(1104,),
    cicd_sec=(3,),
)

# owner/repo (lower case) -> the maintained successor; each repository was archived by its owner.
ARCHIVED: dict[str, str] = {
    "actions/create-release": "the `gh release create` CLI or softprops/action-gh-release",
    "actions/upload-release-asset": "the `gh release upload` CLI",
    "actions/setup-ruby": "ruby/setup-ruby",
    "actions/setup-elixir": "erlef/setup-beam",
    "actions/setup-haskell": "haskell-actions/setup",
    "actions-rs/toolchain": "dtolnay/rust-toolchain or `rustup` in a run step",
    "actions-rs/cargo": "plain `cargo` in a run step",
    "actions-rs/clippy-check": "`cargo clippy` in a run step",
    "actions-rs/audit-check": "rustsec/audit-check",
    "actions-rs/tarpaulin": "`cargo tarpaulin` in a run step",
    "actions-rs/grcov": "`grcov` in a run step",
    "actions-rs/install": "taiki-e/install-action",
}


class ArchivedUses(AuditBase):
    rule = RULE

    def audit_step(self, workflow: Workflow, job: Job, step: Step) -> Iterator[Finding]:
        if step.uses is None:
            return
        name = step.uses.text.strip().split("@", 1)[0].lower()
        repo = "/".join(name.split("/")[:2])
        successor = ARCHIVED.get(repo)
        if successor is None:
            return
        yield self.finding(
            workflow,
            f"step {step.key!r} uses {repo}, an archived action; use {successor}",
            step.uses.location,
            job=job,
            step=step,
            key=(repo,),
        )
