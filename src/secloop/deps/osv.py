"""OSV records -> the compact entries the index stores, and back into typed advisories.

An entry is a plain tuple (so `marshal` can store it and load it fast), one per affected package:
(id, aliases, summary, modified, published, severity, fallback severity, ranges, versions).
GIT ranges are dropped (they need the repository's commit graph); withdrawn records never get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from secloop.deps.model import normalise_name

RANGE_TYPES = ("ECOSYSTEM", "SEMVER")
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_SUMMARY_MAX = 200

Event = tuple[str, str]
RangeTuple = tuple[str, tuple[Event, ...]]
EntryTuple = tuple[
    str,
    tuple[str, ...],
    str,
    str,
    str,
    tuple[tuple[str, str], ...],
    str,
    tuple[RangeTuple, ...],
    tuple[str, ...],
]


class RecordError(ValueError):
    """An OSV record that does not follow the schema where matching depends on it."""


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    modified: str
    published: str
    severity: tuple[tuple[str, str], ...]  # (type, score): CVSS_V3 / CVSS_V4 vectors
    fallback_severity: str  # database_specific / ecosystem_specific severity word, or ""


@dataclass(frozen=True, slots=True)
class Range:
    type: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Affected:
    """One advisory's statement about one package: its ranges and explicit versions."""

    advisory: Advisory
    ranges: tuple[Range, ...]
    versions: frozenset[str]


def _summary(record: dict[str, Any]) -> str:
    text = str(record.get("summary") or "").strip()
    if not text:
        details = str(record.get("details") or "").strip()
        text = details.splitlines()[0] if details else ""
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 1] + "…"


def _severities(items: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        (str(s["type"]), str(s["score"]))
        for s in items
        if isinstance(s, dict) and "type" in s and "score" in s
    )


def _word(*holders: Any) -> str:
    for holder in holders:
        if isinstance(holder, dict) and isinstance(holder.get("severity"), str):
            return str(holder["severity"])
    return ""


def _ranges(raw: Any, record_id: str) -> tuple[RangeTuple, ...]:
    ranges: list[RangeTuple] = []
    for rng in raw if isinstance(raw, list) else []:
        if not isinstance(rng, dict) or rng.get("type") not in RANGE_TYPES:
            continue
        events: list[Event] = []
        for event in rng.get("events", []):
            if not isinstance(event, dict) or len(event) != 1:
                raise RecordError(f"{record_id}: an event must have exactly one of {', '.join(EVENT_KINDS)}")
            ((kind, value),) = event.items()
            if kind not in EVENT_KINDS:
                raise RecordError(f"{record_id}: unknown event {kind!r}")
            events.append((kind, str(value)))
        ranges.append((str(rng["type"]), tuple(events)))
    return tuple(ranges)


def entries_of(record: dict[str, Any]) -> list[tuple[str, str, EntryTuple]]:
    """(ecosystem, normalised name, entry) for every affected package of a live record."""
    record_id = record.get("id")
    if not isinstance(record_id, str) or not isinstance(record.get("affected", []), list):
        raise RecordError(f"{record_id or '?'}: missing `id` or `affected` is not a list")
    aliases = tuple(sorted({str(a) for a in record.get("aliases") or [] if str(a) != record_id}))
    top_severity = _severities(record.get("severity"))
    out: list[tuple[str, str, EntryTuple]] = []
    for affected in record.get("affected", []):
        pkg = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(pkg, dict) or not pkg.get("ecosystem") or not pkg.get("name"):
            continue  # e.g. OSS-Fuzz records that only name a repository
        ecosystem = str(pkg["ecosystem"])
        name = normalise_name(base_ecosystem(ecosystem), str(pkg["name"]))
        entry: EntryTuple = (
            record_id,
            aliases,
            _summary(record),
            str(record.get("modified", "")),
            str(record.get("published", "")),
            _severities(affected.get("severity")) or top_severity,
            _word(
                affected.get("ecosystem_specific"),
                affected.get("database_specific"),
                record.get("database_specific"),
            ),
            _ranges(affected.get("ranges"), record_id),
            tuple(str(v) for v in affected.get("versions") or []),
        )
        out.append((ecosystem, name, entry))
    return out


def to_affected(entry: EntryTuple) -> Affected:
    record_id, aliases, summary, modified, published, severity, word, ranges, versions = entry
    advisory = Advisory(record_id, aliases, summary, modified, published, severity, word)
    return Affected(advisory, tuple(Range(t, ev) for t, ev in ranges), frozenset(versions))


def base_ecosystem(ecosystem: str) -> str:
    """`Debian:12` -> `Debian`; the suffix scopes a release or a repository, not the name rules."""
    return ecosystem.split(":", 1)[0]
