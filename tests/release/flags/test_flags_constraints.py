"""Constraint operators, with Unleash's semantics for missing fields, inversion and case."""

from __future__ import annotations

from datetime import UTC, datetime

from secloop.release.flags.constraints import compile_constraint, parse_semver, parse_time
from secloop.release.flags.model import Constraint


def check(
    operator: str,
    ctx: dict[str, str],
    *,
    values: tuple[str, ...] = (),
    value: str | None = None,
    **flags: bool,
) -> bool:
    return compile_constraint(Constraint("f", operator, values, value, **flags))(ctx)


def test_in_and_not_in() -> None:
    assert check("IN", {"f": "a"}, values=("a", "b"))
    assert not check("IN", {"f": "c"}, values=("a", "b"))
    assert not check("IN", {}, values=("a",))
    assert check("NOT_IN", {}, values=("a",))  # a missing field is not in the list
    assert not check("NOT_IN", {"f": "a"}, values=("a",))
    assert check("IN", {}, values=("a",), inverted=True)


def test_strings() -> None:
    assert check("STR_CONTAINS", {"f": "xabcx"}, values=("zz", "abc"))
    assert not check("STR_CONTAINS", {"f": "xABCx"}, values=("abc",))
    assert check("STR_CONTAINS", {"f": "xABCx"}, values=("abc",), case_insensitive=True)
    assert check("STR_STARTS_WITH", {"f": "prefix-1"}, values=("pre",))
    assert check("STR_ENDS_WITH", {"f": "a@Example.com"}, values=("@EXAMPLE.COM",), case_insensitive=True)
    assert not check("STR_ENDS_WITH", {}, values=("x",))
    assert check("STR_ENDS_WITH", {}, values=("x",), inverted=True)


def test_numbers() -> None:
    assert check("NUM_EQ", {"f": "3.0"}, value="3")
    assert check("NUM_GT", {"f": "4"}, value="3") and not check("NUM_GT", {"f": "3"}, value="3")
    assert check("NUM_GTE", {"f": "3"}, value="3")
    assert check("NUM_LT", {"f": "-1"}, value="0") and not check("NUM_LT", {"f": "0"}, value="0")
    assert check("NUM_LTE", {"f": "0"}, value="0")
    assert not check("NUM_EQ", {"f": "three"}, value="3")
    assert not check("NUM_EQ", {}, value="3")


def test_dates() -> None:
    assert check("DATE_AFTER", {"f": "2026-01-02T00:00:00Z"}, value="2026-01-01T00:00:00Z")
    assert not check("DATE_AFTER", {"f": "2026-01-01T00:00:00Z"}, value="2026-01-01T00:00:00Z")
    assert check("DATE_BEFORE", {"f": "2025-12-31T23:59:59+00:00"}, value="2026-01-01T00:00:00Z")
    assert not check("DATE_BEFORE", {"f": "garbage"}, value="2026-01-01T00:00:00Z")
    assert not check("DATE_BEFORE", {}, value="2999-01-01T00:00:00Z")
    now = compile_constraint(Constraint("currentTime", "DATE_AFTER", value="2000-01-01T00:00:00Z"))
    assert now({})  # currentTime defaults to now
    assert parse_time("2026-01-01T00:00:00") == datetime(2026, 1, 1, tzinfo=UTC)


def test_semver_precedence() -> None:
    assert check("SEMVER_GT", {"f": "1.0.0"}, value="1.0.0-rc.1")
    assert check("SEMVER_LT", {"f": "1.0.0-alpha"}, value="1.0.0-alpha.1")
    assert check("SEMVER_LT", {"f": "1.0.0-alpha.1"}, value="1.0.0-alpha.beta")
    assert check("SEMVER_LT", {"f": "1.0.0-beta.2"}, value="1.0.0-beta.11")
    assert check("SEMVER_EQ", {"f": "1.2.3+build.5"}, value="1.2.3")
    assert not check("SEMVER_GT", {"f": "1.2"}, value="1.0.0")
    assert parse_semver("01.2.3") is None
