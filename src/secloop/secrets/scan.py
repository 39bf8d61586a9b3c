"""Targets of a secrets scan (working tree, files, staged index, a commit range, all of history) and the
findings they produce: one finding per (rule, secret) with every location, never the secret itself.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.secrets.archive import (
    MAX_ARCHIVE_BYTES,
    MAX_MEMBER_BYTES,
    MemberSkipped,
    archive_kind,
    members,
    named_like_archive,
)
from secloop.secrets.cache import (
    CLEAN,
    BlobCache,
    BlobResult,
    HistoryState,
    Record,
    StateEntry,
    rules_key,
)
from secloop.secrets.engine import Engine, Hit
from secloop.secrets.gitio import (
    Blob,
    IntroductionLog,
    all_reachable,
    cat_blobs,
    git_dir,
    history_blobs,
    ref_tips,
    rev_parse,
    staged_files,
)
from secloop.secrets.rules import SPECS
from secloop.secrets.spec import SecretRule
from secloop.sources.repo import Repo

MAX_FILE_BYTES = 10_000_000
SNIPPET_WIDTH = 120


@cache
def _default_engine() -> Engine:
    return Engine(SPECS)


def get_engine(rules: Sequence[SecretRule] | None = None, cache_dir: Path | None = None) -> Engine:
    """The engine over the given rules (the built-in ones by default), built once per process."""
    if rules is None and cache_dir is None:
        return _default_engine()
    return Engine(tuple(rules) if rules is not None else SPECS, cache_dir)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def redact(secret: str) -> str:
    """At most four leading characters, fewer for short secrets, so a short password never shows half."""
    return secret[: min(4, len(secret) // 4)] + "…"


def applies(rule: SecretRule, path: str) -> bool:
    """Path scoping of imported rules: `paths` restricts, `path_allowlist` excludes."""
    if rule.paths and not any(re.search(p, path) for p in rule.paths):
        return False
    return not any(re.search(p, path) for p in rule.path_allowlist)


@dataclass(frozen=True, slots=True)
class Occurrence:
    rule: SecretRule
    secret_sha256: str
    prefix: str
    location: Location
    encoding: str | None = None
    author: str | None = None
    date: str | None = None
    order: int = 0  # 0 for the working tree; the introducing commit's topological rank otherwise


@dataclass(frozen=True)
class SecretsScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    target: str
    scanned: int
    scanned_bytes: int
    fallback: tuple[str, ...] = ()
    occurrences: tuple[Occurrence, ...] = field(default=(), repr=False)
    blobs_read: int = 0  # history: blobs whose content git delivered (the others came from the cache)
    blobs_cached: int = 0


class _Lines:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0]
        pos = data.find(b"\n")
        while pos >= 0:
            self.starts.append(pos + 1)
            pos = data.find(b"\n", pos + 1)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def bounds(self, line: int) -> tuple[int, int]:
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.data)
        return start, end

    def column(self, offset: int) -> int:
        start, _ = self.bounds(self.line_of(offset))
        return len(self.data[start:offset].decode("utf-8", "replace")) + 1


def _snippet(lines: _Lines, line: int, hits: Sequence[Hit]) -> str:
    """The line with every secret on it redacted, trimmed around the first one."""
    start, end = lines.bounds(line)
    pieces: list[str] = []
    cursor = start
    first_at = 0
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.end <= start or hit.start >= end or hit.start < cursor:
            continue
        pieces.append(lines.data[cursor : hit.start].decode("utf-8", "replace"))
        if not first_at:
            first_at = sum(len(p) for p in pieces)
        pieces.append(f"«{hit.encoding}»" if hit.encoding else redact(hit.secret))
        cursor = min(hit.end, end)
    pieces.append(lines.data[cursor:end].decode("utf-8", "replace"))
    text = "".join(pieces).rstrip("\r")
    if len(text) <= SNIPPET_WIDTH:
        return text.strip()
    left = max(0, first_at - SNIPPET_WIDTH // 3)
    return ("…" if left else "") + text[left : left + SNIPPET_WIDTH].strip() + "…"


def _placed(
    data: bytes, hits: Sequence[Hit], keep_lines: Sequence[tuple[int, int]] | None = None
) -> list[tuple[Hit, int, int, int, int, str]]:
    """Each hit with its first and last line, start and end column and the line's redacted snippet."""
    lines = _Lines(data)
    by_line: dict[int, list[Hit]] = {}
    spans: list[tuple[Hit, int, int]] = []
    for hit in hits:
        first, last = lines.line_of(hit.start), lines.line_of(max(hit.end - 1, hit.start))
        if keep_lines is not None and not any(a <= last and first <= b for a, b in keep_lines):
            continue
        by_line.setdefault(first, []).append(hit)
        spans.append((hit, first, last))
    return [
        (
            hit,
            first,
            last,
            lines.column(hit.start),
            lines.column(hit.end),
            _snippet(lines, first, by_line[first]),
        )
        for hit, first, last in spans
    ]


def occurrences_in(
    engine: Engine,
    path: str,
    data: bytes,
    *,
    commit: str | None = None,
    blob: str | None = None,
    keep_lines: Sequence[tuple[int, int]] | None = None,
) -> list[Occurrence]:
    hits = [h for h in engine.scan(data) if applies(h.rule, path)]
    if not hits:
        return []
    result: list[Occurrence] = []
    for hit, first, last, start_col, end_col, snippet in _placed(data, hits, keep_lines):
        location = Location(
            path=path,
            start_line=first,
            start_column=start_col,
            end_line=last,
            end_column=end_col,
            commit=commit,
            blob=blob,
            snippet=snippet,
        )
        result.append(
            Occurrence(
                rule=hit.rule,
                secret_sha256=secret_hash(hit.secret),
                prefix=redact(hit.secret),
                location=location,
                encoding=hit.encoding,
            )
        )
    return result


def _member_path(path: str, member: str) -> str:
    return f"{path}!{member}" if member else path


def file_occurrences(engine: Engine, path: str, data: bytes, skipped: list[Skipped]) -> list[Occurrence]:
    """A file's occurrences; an archive's are those of its members, at `archive.zip!member/path`."""
    if archive_kind(data) is None and not named_like_archive(path):
        return occurrences_in(engine, path, data)
    found: list[Occurrence] = []
    for member in members(path, data):
        if isinstance(member, MemberSkipped):
            skipped.append(Skipped(_member_path(path, member.name), member.reason))
        else:
            found += occurrences_in(engine, _member_path(path, member.name), member.data)
    return found


def _records(engine: Engine, data: bytes, member: str = "") -> list[Record]:
    hits = engine.scan(data)
    if not hits:
        return []
    return [
        Record(
            hit.rule.id,
            member,
            secret_hash(hit.secret),
            redact(hit.secret),
            first,
            start_col,
            last,
            end_col,
            snippet,
            hit.encoding,
        )
        for hit, first, last, start_col, end_col, snippet in _placed(data, hits)
    ]


def scan_blob(engine: Engine, path: str, data: bytes) -> BlobResult:
    """A blob's redacted hits, what the cache keeps (path-independent but for a broken archive's name)."""
    if archive_kind(data) is None and not named_like_archive(path):
        records = _records(engine, data)
        return BlobResult(tuple(records)) if records else CLEAN
    found: list[Record] = []
    skipped: list[tuple[str, str]] = []
    for member in members(path, data):
        if isinstance(member, MemberSkipped):
            skipped.append((member.name, member.reason))
        else:
            found += _records(engine, member.data, member.name)
    return BlobResult(tuple(found), tuple(skipped))


def blob_cache(engine: Engine, max_bytes: int, directory: Path | None = None) -> BlobCache:
    """The blob cache of these rules and limits (SECLOOP_CACHE_DIR or the user cache directory)."""
    return BlobCache(rules_key(engine.rules, max_bytes, MAX_MEMBER_BYTES, MAX_ARCHIVE_BYTES), directory)


# -- findings --------------------------------------------------------------------------------------


def _message(primary: Occurrence, count: int) -> str:
    text = f"{primary.rule.title}: {primary.prefix} (sha256:{primary.secret_sha256[:12]})"
    if primary.encoding:
        text += f", {primary.encoding}-encoded"
    loc = primary.location
    if loc.commit:
        text += f"; introduced in {loc.commit[:12]}"
        if primary.author:
            text += f" by {primary.author}"
        if primary.date:
            text += f" on {primary.date[:10]}"
    if count > 1:
        text += f"; {count} locations"
    return text


def build_findings(occurrences: Iterable[Occurrence]) -> tuple[Finding, ...]:
    """One finding per (rule, secret): the earliest introduction first, every other location after it."""
    groups: dict[tuple[str, str], list[Occurrence]] = {}
    for occ in occurrences:
        groups.setdefault((occ.rule.id, occ.secret_sha256), []).append(occ)
    findings: list[Finding] = []
    for (rule_id, digest), group in groups.items():

        def key(o: Occurrence) -> tuple[int, int, str, int, int]:
            loc = o.location
            return (
                0 if loc.commit is None else 1,
                o.order,
                loc.path,
                loc.start_line or 0,
                loc.start_column or 0,
            )

        ordered = sorted(group, key=key)
        unique: list[Occurrence] = []
        seen: set[Location] = set()
        for occ in ordered:
            if occ.location not in seen:
                seen.add(occ.location)
                unique.append(occ)
        in_tree = any(o.location.commit is None for o in unique)
        in_history = any(o.location.commit is not None for o in unique)
        introduced = min((o for o in unique if o.location.commit), key=lambda o: o.order, default=None)
        primary = unique[0]
        props: list[tuple[str, str]] = [
            ("secret_prefix", primary.prefix),
            ("secret_sha256", digest),
            ("occurrences", str(len(unique))),
            (
                "where",
                "working tree and history"
                if in_tree and in_history
                else "history"
                if in_history
                else "working tree",
            ),
        ]
        if introduced is not None and introduced.location.commit:
            props.append(("commit", introduced.location.commit))
            if introduced.author:
                props.append(("author", introduced.author))
            if introduced.date:
                props.append(("date", introduced.date))
        if primary.encoding:
            props.append(("encoding", primary.encoding))
        findings.append(
            Finding(
                rule_id=rule_id,
                severity=primary.rule.severity,
                confidence=primary.rule.confidence,
                message=_message(introduced or primary, len(unique)),
                locations=tuple(o.location for o in unique),
                fingerprint=keyed_fingerprint(rule_id, digest),
                properties=tuple(sorted(props)),
                fix=primary.rule.fix,
            )
        )
    return tuple(sorted(findings, key=Finding.sort_key))


def _result(
    target: str,
    occurrences: list[Occurrence],
    skipped: list[Skipped],
    scanned: int,
    scanned_bytes: int,
    engine: Engine,
    blobs_read: int = 0,
    blobs_cached: int = 0,
) -> SecretsScan:
    return SecretsScan(
        blobs_read=blobs_read,
        blobs_cached=blobs_cached,
        findings=build_findings(occurrences),
        skipped=tuple(sorted(skipped, key=lambda s: (s.path, s.reason))),
        target=target,
        scanned=scanned,
        scanned_bytes=scanned_bytes,
        fallback=engine.fallback,
        occurrences=tuple(occurrences),
    )


# -- targets ---------------------------------------------------------------------------------------


def _read_capped(path: Path, rel: str, max_bytes: int, skipped: list[Skipped]) -> bytes | None:
    try:
        info = os.lstat(path)
    except OSError as exc:
        skipped.append(Skipped(rel, f"cannot read: {exc.strerror}"))
        return None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        return None  # a symlink may point outside the repository; its target is scanned where it lives
    if info.st_size > max_bytes:
        skipped.append(
            Skipped(rel, f"{info.st_size} bytes, over the {max_bytes}-byte size limit of the secrets scan")
        )
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        skipped.append(Skipped(rel, f"cannot read: {exc.strerror}"))
        return None


def scan_tree(repo: Repo, engine: Engine | None = None, max_bytes: int = MAX_FILE_BYTES) -> SecretsScan:
    """Every file of the working tree (.gitignore honoured) up to the size limit."""
    engine = engine or get_engine()
    occurrences: list[Occurrence] = []
    skipped: list[Skipped] = []
    count = size = 0
    for rel in repo.files():
        data = _read_capped(repo.root / rel, rel, max_bytes, skipped)
        if data is None:
            continue
        count += 1
        size += len(data)
        occurrences += file_occurrences(engine, rel, data, skipped)
    return _result(str(repo.root), occurrences, skipped, count, size, engine)


def scan_paths(
    paths: Sequence[tuple[str, bytes | None]], engine: Engine | None = None, max_bytes: int = MAX_FILE_BYTES
) -> SecretsScan:
    """Explicit files: (display path, content) pairs; None content means read the path from disk."""
    engine = engine or get_engine()
    occurrences: list[Occurrence] = []
    skipped: list[Skipped] = []
    count = size = 0
    for name, content in paths:
        data = content if content is not None else _read_capped(Path(name), name, max_bytes, skipped)
        if data is None:
            continue
        count += 1
        size += len(data)
        occurrences += file_occurrences(engine, name, data, skipped)
    return _result(", ".join(n for n, _ in paths), occurrences, skipped, count, size, engine)


def scan_staged(root: Path, engine: Engine | None = None, max_bytes: int = MAX_FILE_BYTES) -> SecretsScan:
    """The lines a commit of the index would add, read from the staged blobs (not the working files)."""
    engine = engine or get_engine()
    files = staged_files(root)
    by_oid: dict[str, list[tuple[str, tuple[tuple[int, int], ...]]]] = {}
    for f in files:
        by_oid.setdefault(f.oid, []).append((f.path, f.added))
    occurrences: list[Occurrence] = []
    count = size = 0
    for oid, data in cat_blobs(root, list(by_oid)):
        count += 1
        size += len(data)
        for path, added in by_oid[oid]:
            occurrences += occurrences_in(engine, path, data, blob=oid, keep_lines=added)
    return _result(f"{root} (staged)", occurrences, [], count, size, engine)


def scan_history(
    root: Path,
    engine: Engine | None = None,
    since: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    cache: BlobCache | None = None,
    revisions: Sequence[str] | None = None,
    on_blob: Callable[[int, int], None] | None = None,
    strict: bool = False,
) -> SecretsScan:
    """Every unique blob of history (or SINCE..HEAD) once, each finding at the commit that introduced it.

    With a cache, blobs scanned by an earlier run (same rules and limits) are not read again, and a
    full-history scan after the refs only moved forward lists just the objects the new commits bring.
    `revisions` (rev-list arguments, e.g. the pushed tips and `--not --all`) replaces both; `on_blob`
    hears (blobs, bytes) so far; `strict` makes a missing object an error (a server hook fails closed).
    """
    engine = engine or get_engine()
    state: HistoryState | None = None
    tips: tuple[str, ...] = ()
    pushed = revisions is not None
    if revisions is not None:
        revisions, log_range, cache = list(revisions), list(revisions), None
    elif since is not None:
        base = rev_parse(root, since)
        revisions, log_range = ["HEAD", f"^{base}"], [f"{base}..HEAD"]
    else:
        revisions, log_range = ["--all"], ["--all"]
        if cache is not None:
            tips = ref_tips(root)
            state = cache.load_state(git_dir(root))
            if state is not None and not all_reachable(root, state.tips, tips):
                state = None
            if state is not None:
                fresh = [t for t in tips if t not in state.tips]
                revisions = log_range = [*fresh, "--not", *state.tips]
    skipped: list[Skipped] = []
    raw: list[tuple[Blob, BlobResult]] = []
    log: IntroductionLog | None = None
    count = size = read = cached = 0
    known = cache if state is None else None  # the state already excludes every blob seen before
    try:
        listing = (
            history_blobs(root, revisions, max_bytes, known=known, strict=strict)
            if revisions and revisions[0] != "--not"
            else iter(())
        )
        for blob in listing:
            if blob.known:
                assert cache is not None
                result = cache.get(blob.oid) or CLEAN
                cached += 1
                count += 1
            elif blob.data is None:
                read += 1
                reason = f"blob {blob.oid[:12]} is {blob.size} bytes, over the {max_bytes}-byte size limit"
                result = BlobResult(skipped=(("", reason),))
            else:
                read += 1
                count += 1
                size += blob.size
                result = scan_blob(engine, blob.path, blob.data)
            if on_blob is not None:
                on_blob(count, size)
            if known is not None and not blob.known:
                known.put(blob.oid, result)
            if result.records or result.skipped:
                raw.append((blob, result))
                if log is None and result.records:
                    log = IntroductionLog(root, log_range)
        wanted = {blob.oid for blob, result in raw if result.records}
        intros = log.resolve(wanted) if log is not None else {}
    finally:
        if log is not None:
            log.close()
    entries: list[StateEntry] = list(state.entries) if state is not None else []
    offset = state.last_order if state is not None else 0
    for blob, result in raw:
        found = intros.get(blob.oid)
        intro = (found.commit, found.author, found.date, found.path, found.order + offset) if found else None
        entries.append(StateEntry(blob.oid, blob.path, result, intro))
    if state is not None:
        cached += state.blobs
        count += state.blobs
    if cache is not None:
        cache.save()
        if since is None:
            last = max((e.intro[4] for e in entries if e.intro), default=0)
            cache.save_state(git_dir(root), HistoryState(tips, count, last, tuple(entries)))
    rule_of = {rule.id: rule for rule in engine.rules}
    occurrences: list[Occurrence] = []
    for entry in entries:
        for member, reason in entry.result.skipped:
            skipped.append(Skipped(_member_path(entry.path or entry.oid, member), reason))
        commit, author, date, intro_path, order = entry.intro or (None, None, None, entry.path, 0)
        for record in entry.result.records:
            rule = rule_of[record.rule_id]
            path = _member_path(intro_path, record.member)
            if not applies(rule, path):
                continue
            location = Location(
                path=path,
                start_line=record.start_line,
                start_column=record.start_column,
                end_line=record.end_line,
                end_column=record.end_column,
                commit=commit,
                blob=entry.oid,
                snippet=record.snippet,
            )
            occurrences.append(
                Occurrence(
                    rule, record.secret_sha256, record.prefix, location, record.encoding, author, date, order
                )
            )
    scope = " of the pushed commits" if pushed else ""
    target = f"{root} (history{scope}{'' if since is None else f' since {since}'})"
    return _result(target, occurrences, skipped, count, size, engine, read, cached)


def merge_scans(target: str, *scans: SecretsScan) -> SecretsScan:
    """The tree and the history as one result: findings regrouped across both."""
    occurrences = [o for s in scans for o in s.occurrences]
    return SecretsScan(
        findings=build_findings(occurrences),
        skipped=tuple(sorted({k for s in scans for k in s.skipped}, key=lambda k: (k.path, k.reason))),
        target=target,
        scanned=sum(s.scanned for s in scans),
        scanned_bytes=sum(s.scanned_bytes for s in scans),
        fallback=tuple(sorted({r for s in scans for r in s.fallback})),
        occurrences=tuple(occurrences),
        blobs_read=sum(s.blobs_read for s in scans),
        blobs_cached=sum(s.blobs_cached for s in scans),
    )
