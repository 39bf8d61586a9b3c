"""Engine-backed evaluators of the code stage: `code.secrets` and `code.push-protection`."""

from __future__ import annotations

from secloop.core.enums import Status
from secloop.core.model import Finding, PracticeResult
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.code import _secret_scanning, evaluate_push_protection
from secloop.secrets.gitio import GitError
from secloop.secrets.push import HOOK_MARKER
from secloop.secrets.scan import SecretsScan, merge_scans, scan_history, scan_tree

HOOK_COMMAND = "secloop scan secrets --staged"
INSTALL_HINT = "secloop hook install pre-commit|pre-push"
_EVIDENCE_LIMIT = 20


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def _where(finding: Finding) -> str:
    loc = finding.primary
    if loc is None:
        return "?"
    text = str(loc)
    props = dict(finding.properties)
    if loc.commit:
        state = (
            "still in the working tree"
            if props.get("where", "").startswith("working tree")
            else "history only"
        )
        text += f" (commit {loc.commit[:12]}, {state})"
    return text


def evaluate_secrets(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    tree = scan_tree(repo)
    evidence = [f"working tree: {tree.scanned} files ({_size(tree.scanned_bytes)}) scanned"]
    scans: list[SecretsScan] = [tree]
    history_error: str | None = None
    if repo.is_git and repo.head() is not None:
        try:
            history = scan_history(repo.root)
        except GitError as exc:
            history_error = exc.message
            evidence.append(f"history: could not be read ({exc.message})")
        else:
            scans.append(history)
            evidence.append(
                f"history: {history.scanned} unique blobs ({_size(history.scanned_bytes)}) scanned"
            )
    result = merge_scans(str(repo.root), *scans)
    findings = result.findings
    evidence += _secret_scanning(repo)
    for finding in findings[:_EVIDENCE_LIMIT]:
        prefix = dict(finding.properties).get("secret_prefix", "")
        evidence.append(f"{_where(finding)}: {finding.rule_id} {prefix}")
    if len(findings) > _EVIDENCE_LIMIT:
        evidence.append(f"… and {len(findings) - _EVIDENCE_LIMIT} more secret(s)")
    if findings:
        only_history = sum(1 for f in findings if dict(f.properties).get("where") == "history")
        summary = f"{len(findings)} secret(s) found"
        if only_history:
            summary += (
                f", {only_history} of them only in history (removed from the tree but still in every clone:"
                " rotate them)"
            )
        return ctx.result(Status.FAIL, summary, evidence, findings, result.skipped)
    if history_error is not None:
        return ctx.result(
            Status.PARTIAL,
            "no secret in the working tree; the history could not be scanned",
            evidence,
            skipped=result.skipped,
        )
    scope = "the working tree and its history" if len(scans) > 1 else "the working tree (no git history)"
    return ctx.result(Status.PASS, f"no secret found in {scope}", evidence, skipped=result.skipped)


def _installed_hooks(ctx: Context) -> list[str]:
    """Hooks `secloop hook install` wrote into this clone: real, but nothing makes other clones run them."""
    found: list[str] = []
    for name in ("pre-commit", "pre-push"):
        try:
            text = (ctx.repo.root / ".git" / "hooks" / name).read_text("utf-8", "replace")
        except OSError:
            continue
        if HOOK_MARKER in text:
            found.append(f".git/hooks/{name}: secloop {name} hook installed (this clone only)")
    return found


def evaluate_push_protection_with_engine(ctx: Context) -> PracticeResult:
    """The configured hooks decide it; when none scans for secrets, say which command would."""
    result = evaluate_push_protection(ctx)
    if result.status is not Status.FAIL:
        return result
    installed = _installed_hooks(ctx)
    evidence = (
        *result.evidence,
        *installed,
        f"a pre-commit hook can run `{HOOK_COMMAND}` (blocks the commit on a secret)",
        f"`{INSTALL_HINT}` installs the hooks; `secloop hook install pre-receive` protects the server",
    )
    if installed:
        summary = (
            "a secloop hook runs in this clone only; nothing in the repository makes other clones run one"
        )
        return ctx.result(Status.PARTIAL, summary, evidence, result.findings, result.skipped)
    return ctx.result(result.status, result.summary, evidence, result.findings, result.skipped)


EVALUATORS: dict[str, Evaluator] = {
    "code.secrets": evaluate_secrets,
    "code.push-protection": evaluate_push_protection_with_engine,
}
