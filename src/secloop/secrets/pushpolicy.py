"""What the server hook lets through: the baseline the server already holds, and inline allows.

A bare repository has no work tree, so both are read from git objects. The inline marker
(`secloop: ignore[RULE-ID] reason`) is looked up in the pushed blob that holds the finding, by the
same policy code as every other scan, so it needs the same mandatory reason.

The baseline is read from the OLD tip of each updated ref: the state the server accepted before this
push (a new ref reads the default branch, HEAD). A baseline entry that only the push brings is not
honoured, or whoever pushes a secret could list it in the same push; the pusher is told so.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from secloop.core.baseline import Baseline, BaselineEntry, load_baseline
from secloop.core.config import Config
from secloop.core.enums import Stage, Status
from secloop.core.errors import InputError, Place
from secloop.core.model import Finding, PracticeResult
from secloop.core.policy import apply_policy
from secloop.secrets.archive import archive_kind
from secloop.secrets.gitio import GitError, cat_blobs, run_git
from secloop.secrets.push import Judgement, RefUpdate, is_zero, where_of

BASELINE_PATH = Config().baseline  # the server has no work tree to read a configured path from
_PRACTICE = "code.secrets"
_HINT = (
    "fix it with `secloop baseline create` in a push that brings no secret, "
    "or push with -o secloop.break-glass='<reason>'"
)


def tree_file(root: Path, commit: str, path: str) -> bytes | None:
    """The file at `path` in `commit`'s tree, None when it has none; an unreadable commit raises."""
    listing = run_git(root, "ls-tree", "-z", commit, "--", path).rstrip(b"\0")
    if not listing:
        return None
    meta, _, _name = listing.partition(b"\t")
    _mode, kind, oid = meta.decode("ascii").split()
    if kind != "blob":
        raise InputError(
            f"baseline is a {kind}, not a file", place=Place(f"{commit[:12]}:{path}"), hint=_HINT
        )
    return run_git(root, "cat-file", "blob", oid)


def tree_baseline(root: Path, commit: str, path: str = BASELINE_PATH) -> Baseline | None:
    """The baseline in `commit`'s tree, checked like `load_baseline`; errors name `<commit>:<path>`."""
    data = tree_file(root, commit, path)
    if data is None:
        return None
    where = f"{commit[:12]}:{path}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("baseline is not UTF-8 text", place=Place(where), hint=_HINT) from exc
    with tempfile.TemporaryDirectory(prefix="secloop-baseline-") as tmp:
        copy = Path(tmp) / "baseline.json"
        copy.write_text(text, "utf-8")
        try:
            return load_baseline(copy)
        except InputError as exc:
            line, column = (exc.place.line, exc.place.column) if exc.place else (None, None)
            raise InputError(exc.message, place=Place(where, line, column), hint=_HINT) from exc


def _default_tip(root: Path) -> str | None:
    try:
        return run_git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}").decode().strip() or None
    except GitError:
        return None  # an unborn default branch: no accepted baseline yet


def _ref_tip(root: Path, ref: str) -> str | None:
    """The commit `ref` names before this push (pre-receive runs before any ref moves)."""
    try:
        return run_git(root, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}").decode().strip() or None
    except GitError:
        return None  # the ref does not exist yet: nothing accepted there


def accepted_baseline(root: Path, updates: Sequence[RefUpdate], baseline_ref: str | None = None) -> Baseline:
    """The entries every updated ref's accepted baseline lists (a finding may reach several refs).

    With `baseline_ref` (a protected branch, say refs/heads/main) that ref's baseline is the only one
    honoured, whichever ref is pushed: a pusher cannot first push a baseline entry to a branch without
    review and then the secret it allows.
    """
    bases: set[str | None] = set()
    if baseline_ref is not None:
        bases.add(_ref_tip(root, baseline_ref))
    else:
        for update in updates:
            if not is_zero(update.new):
                bases.add(update.old if not is_zero(update.old) else _default_tip(root))
    if not bases or None in bases:
        return Baseline(())
    common: dict[str, BaselineEntry] | None = None
    for base in sorted(b for b in bases if b is not None):
        baseline = tree_baseline(root, base)
        entries = {e.fingerprint: e for e in baseline.entries} if baseline is not None else {}
        common = entries if common is None else {k: v for k, v in common.items() if k in entries}
    return Baseline(tuple(sorted((common or {}).values(), key=lambda e: (e.path, e.rule_id, e.fingerprint))))


def _pushed_fingerprints(root: Path, updates: Sequence[RefUpdate]) -> frozenset[str]:
    """What the baselines at the new tips list, only to explain a refusal: an unreadable one lists nothing."""
    found: set[str] = set()
    for tip in sorted({u.new for u in updates if not is_zero(u.new)}):
        try:
            baseline = tree_baseline(root, tip)
        except (InputError, GitError):
            continue
        if baseline is not None:
            found |= baseline.fingerprints
    return frozenset(found)


def _blob_lines(root: Path, oids: set[str]) -> dict[str, list[str]]:
    """Each blob's lines, split on LF as the scanner counts them; an archive has none (its members do)."""
    lines: dict[str, list[str]] = {}
    for oid, data in cat_blobs(root, sorted(oids)):
        if archive_kind(data) is None:
            lines[oid] = [raw.decode("utf-8", "replace") for raw in data.split(b"\n")]
    return lines


def judge_push(
    root: Path, updates: Sequence[RefUpdate], findings: Sequence[Finding], baseline_ref: str | None = None
) -> Judgement:
    """Apply the accepted baseline and the inline allows of the pushed blobs, as `scan secrets` would."""
    baseline = accepted_baseline(root, updates, baseline_ref)
    blobs = {f.primary.blob for f in findings if f.primary is not None and f.primary.blob}
    texts = _blob_lines(root, blobs) if blobs else {}
    config = Config()
    blocked: list[Finding] = []
    allowed: list[Finding] = []
    notes: list[str] = []
    for finding in findings:
        primary = finding.primary
        lines = texts.get(primary.blob or "", []) if primary is not None else []

        def read_line(_path: str, number: int, lines: list[str] = lines) -> str | None:
            return lines[number - 1] if 0 < number <= len(lines) else None

        result = PracticeResult(_PRACTICE, Stage.CODE, Status.FAIL, 0, "", findings=(finding,))
        outcome = apply_policy(
            [result],
            config,
            read_line=read_line,
            suppressions=(),
            baseline=baseline,
            today=date.today(),  # only expiring suppressions read it, and the server has none
            rank=lambda _r: None,
        )
        [judged] = outcome.results[0].findings
        notes += [f"secloop: {n.path}:{n.line}: {n.reason}" for n in outcome.notes]
        if judged.active:
            blocked.append(judged)
        elif judged.suppression is not None:
            allowed.append(judged)
            notes.append(
                f"secloop: allowed: {judged.rule_id} at {where_of(judged)}: {judged.suppression.reason}"
            )
        else:
            allowed.append(judged)
            notes.append(
                f"secloop: allowed: {judged.rule_id} at {where_of(judged)}: in the accepted {BASELINE_PATH}"
            )
    pushed = _pushed_fingerprints(root, updates) if blocked else frozenset()
    for finding in blocked:
        if finding.fingerprint in pushed:
            notes.append(
                f"secloop: {finding.rule_id} at {where_of(finding)} is listed in {BASELINE_PATH} only by "
                "this push; the server honours the baseline it already holds. Get the baseline change "
                "reviewed and merged first, or push with -o secloop.break-glass='<reason>' (logged)"
            )
    return Judgement(tuple(blocked), tuple(allowed), tuple(notes))
