"""Push protection: which objects a push brings, a scan of only those, and the server hook's verdict.

A pre-push hook (client) gets `<local ref> <local oid> <remote ref> <remote oid>` lines; a pre-receive
hook (server) gets `<old oid> <new oid> <ref>` lines while the pushed objects sit in git's quarantine.
Both scan the blobs reachable from the new tips and from no existing ref, each exactly once.

The server hook fails closed: a secret, an unreadable object, a timeout or any internal error rejects
the push with a message. A finding the baseline already on the server lists, or whose line carries an
inline allow with a reason, does not count (secloop.secrets.pushpolicy).

A break-glass reason (`SECLOOP_BREAK_GLASS=<reason>` in the environment or
`git push -o secloop.break-glass=<reason>`) lets the push through, and only when it can first be
written as one JSON line to the audit log.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from secloop.core.errors import InputError, SecloopError, UsageError
from secloop.core.model import Finding
from secloop.secrets.engine import Engine
from secloop.secrets.gitio import run_git
from secloop.secrets.scan import SecretsScan, scan_history

ZERO = "0" * 40
HOOK_MARKER = "# secloop-hook:"  # the second line of every hook `secloop hook install` writes
BREAK_GLASS_ENV = "SECLOOP_BREAK_GLASS"
BREAK_GLASS_OPTION = "secloop.break-glass"
_OID = frozenset("0123456789abcdef")
# Who pushed, as the forges tell their hooks (GitLab, Gitea/Forgejo, plain git over ssh/http).
_PUSHER_VARS = ("GL_USERNAME", "GITEA_PUSHER_NAME", "FORGEJO_PUSHER_NAME", "REMOTE_USER", "USER")


@dataclass(frozen=True, slots=True)
class RefUpdate:
    ref: str
    old: str
    new: str


class HookTimeout(Exception):
    """The scan of the pushed objects did not finish in time."""


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _OID


def parse_pre_receive(text: str) -> list[RefUpdate]:
    """`<old> <new> <ref>` lines; a malformed line is an error (the server then rejects the push)."""
    updates: list[RefUpdate] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3 or not (_is_oid(parts[0]) and _is_oid(parts[1])):
            raise UsageError(f"pre-receive input line {number} is not '<old> <new> <ref>': {line[:120]!r}")
        updates.append(RefUpdate(parts[2], parts[0], parts[1]))
    return updates


def parse_pre_push(text: str) -> list[RefUpdate]:
    """`<local ref> <local oid> <remote ref> <remote oid>` lines, as RefUpdate(remote ref, remote, local)."""
    updates: list[RefUpdate] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4 or not (_is_oid(parts[1]) and _is_oid(parts[3])):
            raise UsageError(
                f"pre-push input line {number} is not '<local ref> <oid> <remote ref> <oid>': {line[:120]!r}"
            )
        updates.append(RefUpdate(parts[2], parts[3], parts[1]))
    return updates


def is_zero(oid: str) -> bool:
    return set(oid) == {"0"}


def _exists(root: Path, oid: str) -> bool:
    try:
        run_git(root, "cat-file", "-e", f"{oid}^{{commit}}")
    except UsageError:
        return False
    return True


def push_revisions(root: Path, updates: Sequence[RefUpdate], exclude: Sequence[str]) -> list[str]:
    """rev-list arguments: the new tips, then `--not` what the other side already has.

    Deleted refs bring nothing. An old tip the local repository does not have (the remote moved on)
    cannot be excluded, so it is left out and the scan covers more, never less.
    """
    tips = sorted({u.new for u in updates if not is_zero(u.new)})
    if not tips:
        return []
    olds = sorted({u.old for u in updates if not is_zero(u.old) and _exists(root, u.old)})
    return [*tips, "--not", *olds, *exclude]


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise HookTimeout in the main thread after `seconds` (0 or less: no limit)."""
    if seconds <= 0:
        yield
        return

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise HookTimeout(f"the secret scan did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def scan_push(
    root: Path,
    engine: Engine,
    updates: Sequence[RefUpdate],
    exclude: Sequence[str],
    max_bytes: int,
    strict: bool = True,
) -> SecretsScan:
    revisions = push_revisions(root, updates, exclude)
    return scan_history(root, engine, max_bytes=max_bytes, revisions=revisions, strict=strict)


def break_glass_reason(env: Mapping[str, str]) -> str | None:
    """The break-glass reason from the environment or a push option; '' when asked for without one."""
    reason = env.get(BREAK_GLASS_ENV)
    count = env.get("GIT_PUSH_OPTION_COUNT", "0")
    for index in range(int(count) if count.isdigit() else 0):
        key, sep, value = env.get(f"GIT_PUSH_OPTION_{index}", "").partition("=")
        if key == BREAK_GLASS_OPTION:
            reason = value if sep else ""
    return None if reason is None else reason.strip()


def pusher(env: Mapping[str, str]) -> str:
    return next((env[k] for k in _PUSHER_VARS if env.get(k)), "unknown")


def append_audit(path: Path, entry: Mapping[str, object]) -> None:
    """One JSON line, appended and flushed to disk before the push is let through."""
    line = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def where_of(finding: Finding) -> str:
    """`path:line in <commit>` of the finding's first place, as the pusher reads it."""
    where = finding.primary
    if where is None:
        return "?"
    commit = f" in {where.commit[:12]}" if where.commit else ""
    return f"{where.path}:{where.start_line}{commit}"


@dataclass(frozen=True)
class Judgement:
    """The pushed findings split by the server's policy (baseline, inline allows) and why."""

    blocked: tuple[Finding, ...]
    allowed: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class Verdict:
    """What the server hook decided and the lines it prints to the pusher."""

    accepted: bool
    lines: list[str] = field(default_factory=list)


def _summary(findings: Sequence[Finding]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for finding in findings:
        where = finding.primary
        props = dict(finding.properties)
        rows.append(
            {
                "rule": finding.rule_id,
                "secret": f"{props.get('secret_prefix', '')} sha256:{props.get('secret_sha256', '')[:16]}",
                "path": where.path if where else "",
                "line": where.start_line if where else None,
                "commit": where.commit if where else None,
            }
        )
    return rows


def _describe(exc: Exception) -> str:
    """One line for the pusher and the audit log; secloop's own errors name their file and line."""
    if isinstance(exc, SecloopError) and exc.place is not None:
        return f"{type(exc).__name__}: {exc.place}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _judge(root: Path, updates: Sequence[RefUpdate], findings: Sequence[Finding]) -> Judgement:
    from secloop.secrets.pushpolicy import judge_push  # only a push with findings pays for the policy

    return judge_push(root, updates, findings)


def pre_receive(
    root: Path,
    updates_text: str,
    env: Mapping[str, str],
    scanner: Callable[[list[RefUpdate]], SecretsScan],
    audit_log: Path | None,
    timeout: float,
    judge: Callable[[Path, Sequence[RefUpdate], Sequence[Finding]], Judgement] = _judge,
) -> Verdict:
    """Scan the push and decide; every failure path ends in a rejection unless break-glass is logged.

    `judge` applies the accepted baseline and the inline allows to what the scan found.
    """
    reason = break_glass_reason(env)
    updates: list[RefUpdate] = []
    scan: SecretsScan | None = None
    judged: Judgement | None = None
    error: str | None = None
    hint: str | None = None
    try:
        updates = parse_pre_receive(updates_text)
        with deadline(timeout):
            scan = scanner(updates)
            if scan.findings:
                judged = judge(root, updates, scan.findings)
    except HookTimeout as exc:
        error = f"timeout: {exc}"
    except Exception as exc:  # fail closed: any failure rejects the push
        error = _describe(exc)
        # A malformed file has a fix to name; git's own hints speak to a client, not to the pusher.
        hint = exc.hint if isinstance(exc, InputError) else None
    # Findings the policy could not judge (it failed) all count.
    findings = list(judged.blocked if judged is not None else scan.findings if scan is not None else ())
    verdict = Verdict(accepted=error is None and not findings)
    for f in findings:
        verdict.lines.append(f"secloop: {f.rule_id} at {where_of(f)}: {f.message}")
    verdict.lines += judged.notes if judged is not None else ()
    for skipped in scan.skipped if scan is not None else ():
        verdict.lines.append(f"secloop: not checked: {skipped.path}: {skipped.reason}")
    if error is not None:
        verdict.lines.append(f"secloop: the push could not be checked for secrets ({error}); rejected")
        if hint:
            verdict.lines.append(f"secloop: hint: {hint}")
    if verdict.accepted:
        return verdict
    if reason is None:
        verdict.lines.append(
            "secloop: push rejected. Remove the secret from the commits (rewrite them), revoke it, and push "
            f"again; in an emergency: git push -o {BREAK_GLASS_OPTION}='<reason>' (logged)"
        )
        return verdict
    if not reason:
        verdict.lines.append("secloop: break-glass needs a reason: -o secloop.break-glass='<why>'; rejected")
        return verdict
    if audit_log is None:
        verdict.lines.append("secloop: break-glass is disabled on this server (no audit log configured)")
        return verdict
    entry: dict[str, object] = {
        "event": "secloop.break-glass",
        "time": datetime.now(tz=UTC).replace(microsecond=0).isoformat(),
        "reason": reason,
        "pusher": pusher(env),
        "host": socket.gethostname(),
        "repository": str(root.resolve()),
        "refs": [{"ref": u.ref, "old": u.old, "new": u.new} for u in updates],
        "findings": _summary(findings),
        "error": error,
    }
    try:
        append_audit(audit_log, entry)
    except OSError as exc:
        verdict.lines.append(f"secloop: break-glass could not be logged ({exc.strerror}); rejected")
        return verdict
    verdict.accepted = True
    verdict.lines.append(f"secloop: BREAK-GLASS by {entry['pusher']}: accepted and logged ({reason})")
    return verdict
