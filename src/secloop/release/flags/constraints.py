"""Constraints compiled to closures, with Unleash's operator semantics.

A missing context field fails every operator except NOT_IN (which holds); `inverted` flips the result
after that, as Unleash does. Numbers, dates and versions that do not parse fail the constraint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from secloop.release.flags.model import Constraint

Context = Mapping[str, str]
Check = Callable[[Context], bool]

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)

SemverKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def parse_semver(text: str) -> SemverKey | None:
    """A sort key honouring semver precedence: a pre-release sorts before its release; build is ignored."""
    match = _SEMVER.match(text.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    parts: tuple[tuple[int, int, str], ...] = ()
    if pre:
        # numeric identifiers sort before alphanumeric ones, numerically among themselves
        parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0 if pre else 1, parts)


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _lists(c: Constraint) -> Check:
    name = c.context_name
    op = c.operator
    if op == "IN":
        members = frozenset(c.values)
        return lambda ctx: ctx.get(name) in members
    if op == "NOT_IN":
        excluded = frozenset(c.values)
        return lambda ctx: ctx.get(name) not in excluded
    fold = c.case_insensitive
    needles = tuple(v.lower() for v in c.values) if fold else c.values

    def strings(ctx: Context) -> bool:
        value = ctx.get(name)
        if value is None:
            return False
        if fold:
            value = value.lower()
        if op == "STR_CONTAINS":
            return any(n in value for n in needles)
        if op == "STR_STARTS_WITH":
            return value.startswith(needles)
        return value.endswith(needles)

    return strings


_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "EQ": lambda a, b: a == b,
    "GT": lambda a, b: a > b,  # type: ignore[operator]
    "GTE": lambda a, b: a >= b,  # type: ignore[operator]
    "LT": lambda a, b: a < b,  # type: ignore[operator]
    "LTE": lambda a, b: a <= b,  # type: ignore[operator]
    "AFTER": lambda a, b: a > b,  # type: ignore[operator]
    "BEFORE": lambda a, b: a < b,  # type: ignore[operator]
}


def _ordered(c: Constraint) -> Check:
    family, _, relation = c.operator.partition("_")
    parse: Callable[[str], object | None] = {
        "NUM": parse_number,
        "DATE": parse_time,
        "SEMVER": parse_semver,
    }[family]
    target = parse(c.value or "")
    compare = _COMPARE[relation]
    name = c.context_name
    now_when_missing = family == "DATE" and name == "currentTime"

    def ordered(ctx: Context) -> bool:
        raw = ctx.get(name)
        if raw is None:
            if not now_when_missing:
                return False
            value: object | None = datetime.now(tz=UTC)
        else:
            value = parse(raw)
        return value is not None and target is not None and compare(value, target)

    return ordered


def compile_constraint(c: Constraint) -> Check:
    check = _lists(c) if c.operator in ("IN", "NOT_IN") or c.operator.startswith("STR_") else _ordered(c)
    if c.inverted:
        return lambda ctx: not check(ctx)
    return check


def compile_all(constraints: tuple[Constraint, ...]) -> Check | None:
    """One check for all of them (AND); None when there is nothing to check."""
    checks = tuple(compile_constraint(c) for c in constraints)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda ctx: first(ctx) and second(ctx)

    def every(ctx: Context) -> bool:
        return all(check(ctx) for check in checks)

    return every
