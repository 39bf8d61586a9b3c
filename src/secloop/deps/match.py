"""Exact OSV matching: is this package version affected by this advisory, and which version fixes it.

The evaluation follows the OSV schema's pseudocode (IsVulnerable): a version is affected when it is
listed in `versions` or lies in any ECOSYSTEM/SEMVER range. Events are sorted before evaluation
(records list them out of order); `introduced: "0"` sorts first; `limit: "*"` is no limit. At one
version, `fixed` is applied before `introduced` (adjacent ranges [a, X) and [X, b) keep X affected)
and `introduced` before `last_affected` (a range [X, X] holds X). When a range cannot be evaluated
(no ordering for the ecosystem, a version the scheme cannot read), the answer is "unknown" with the
reason, never "not affected".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from secloop.deps.osv import RANGE_TYPES, Affected, Range
from secloop.deps.versions import Key, VersionScheme, scheme_for

_FIXED, _INTRODUCED, _LAST_AFFECTED = 0, 1, 2
_RANK = {"fixed": _FIXED, "introduced": _INTRODUCED, "last_affected": _LAST_AFFECTED}


@dataclass(frozen=True, slots=True)
class CompiledRange:
    scheme: VersionScheme
    events: tuple[tuple[Key | None, int], ...]  # sorted; None is `introduced: "0"`
    limits: tuple[Key, ...]  # empty: no limit


class RangeError(ValueError):
    pass


_COMPILED: dict[tuple[str, Range], CompiledRange | RangeError] = {}


def compile_range(ecosystem: str, rng: Range) -> CompiledRange:
    """Parse and sort a range's events once; raises RangeError with the reason it cannot be evaluated."""
    cache_key = (ecosystem, rng)
    cached = _COMPILED.get(cache_key)
    if cached is None:
        cached = _compile(ecosystem, rng)
        _COMPILED[cache_key] = cached
    if isinstance(cached, RangeError):
        raise cached
    return cached


def _compile(ecosystem: str, rng: Range) -> CompiledRange | RangeError:
    scheme = scheme_for(ecosystem, rng.type)
    if scheme is None:
        return RangeError(f"no version ordering for {rng.type} ranges of {ecosystem} yet")
    zero = 0
    events: list[tuple[Key, int]] = []
    limits: list[Key] = []
    unlimited = False
    for kind, value in rng.events:
        if kind == "introduced" and value == "0":
            zero += 1
            continue
        if kind == "limit" and "*" in value:
            unlimited = True
            continue
        key = scheme.key(value)
        if key is None:
            return RangeError(f"range event {kind} {value!r} is not a {scheme.name} version")
        if kind == "limit":
            limits.append(key)
        else:
            events.append((key, _RANK[kind]))
    events.sort(key=lambda e: (e[0], e[1]))
    ordered: tuple[tuple[Key | None, int], ...] = ((None, _INTRODUCED),) * min(zero, 1) + tuple(events)
    return CompiledRange(scheme, ordered, () if unlimited else tuple(limits))


def in_range(version: Key, rng: CompiledRange) -> bool:
    if rng.limits and not any(version < limit for limit in rng.limits):
        return False
    vulnerable = False
    for key, rank in rng.events:
        if key is None or (rank == _INTRODUCED and key <= version):
            vulnerable = True
        elif key > version:
            break  # every later event is at a higher version too: none applies
        elif rank == _FIXED or key < version:  # fixed at or below; last_affected strictly below
            vulnerable = False
    return vulnerable


@dataclass(frozen=True, slots=True)
class Verdict:
    affected: bool | None  # None: could not be decided
    reason: str = ""


def evaluate(ecosystem: str, version: str, affected: Affected) -> Verdict:
    """OSV IsVulnerable for one advisory's statement about one package."""
    if version in affected.versions:
        return Verdict(True)
    problem = ""
    for rng in affected.ranges:
        if rng.type not in RANGE_TYPES:
            continue  # GIT ranges need the repository's commit graph: not used to match packages
        try:
            compiled = compile_range(ecosystem, rng)
        except RangeError as exc:
            problem = problem or str(exc)
            continue
        key = compiled.scheme.key(version)
        if key is None:
            problem = problem or f"version {version!r} is not a valid {compiled.scheme.name} version"
            continue
        if in_range(key, compiled):
            return Verdict(True)
    return Verdict(None, problem) if problem else Verdict(False)


def ranges_affect(ecosystem: str, version: str, affected: Affected) -> bool | None:
    """Range evaluation alone (without the `versions` list): what the correctness test checks."""
    answer: bool | None = False
    for rng in affected.ranges:
        if rng.type not in RANGE_TYPES:
            continue
        try:
            compiled = compile_range(ecosystem, rng)
        except RangeError:
            answer = None
            continue
        key = compiled.scheme.key(version)
        if key is None:
            answer = None
        elif in_range(key, compiled):
            return True
    return answer


def _candidates(ecosystem: str, version: str, affected: Iterable[Affected]) -> list[str]:
    """Versions above ``version`` that may fix it, lowest first, final releases before pre-releases:
    every `fixed` event, and every version the advisories list (they are known to exist)."""
    scheme = scheme_for(ecosystem, "ECOSYSTEM")
    if scheme is None:
        return []
    current = scheme.key(version)
    if current is None:
        return []
    found: dict[str, Key] = {}
    for item in affected:
        texts = [value for rng in item.ranges for kind, value in rng.events if kind == "fixed"]
        for text in [*texts, *item.versions]:
            if text not in found:
                key = scheme.key(text)
                if key is not None and key > current:
                    found[text] = key
    ordered = sorted(found, key=lambda v: found[v])
    if scheme.is_prerelease(version):
        return ordered
    return [v for v in ordered if not scheme.is_prerelease(v)] + [
        v for v in ordered if scheme.is_prerelease(v)
    ]


def minimal_fix(
    ecosystem: str, version: str, affected: Sequence[Affected], known: Sequence[Affected] = ()
) -> str | None:
    """The lowest version above ``version`` that none of ``affected`` affects (None: no fix known).

    Only versions the advisories name are candidates (those of ``affected`` and of ``known``, the
    package's other advisories): without registry data the lowest release after a fix may be
    unknown, but a `fixed` version is always one."""
    for candidate in _candidates(ecosystem, version, [*affected, *known]):
        if all(evaluate(ecosystem, candidate, item).affected is False for item in affected):
            return candidate
    return None
