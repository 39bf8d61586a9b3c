"""Read and validate a flags file (YAML): every problem with file:line, what was expected, a hint.

Default locations, in order: `flags.yaml` at the repository root, then `.secloop/flags.yaml`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, Place
from secloop.core.model import Skipped
from secloop.release.flags.constraints import parse_number, parse_semver, parse_time
from secloop.release.flags.model import (
    DATE_OPERATORS,
    LIST_OPERATORS,
    NUMBER_OPERATORS,
    OPERATORS,
    PAYLOAD_TYPES,
    STRATEGIES,
    Constraint,
    Environment,
    Flag,
    FlagsFile,
    FlagType,
    Override,
    Payload,
    Segment,
    Strategy,
    Variant,
)
from secloop.sources.yaml_lines import YamlMap, load_yaml

DEFAULT_PATHS = ("flags.yaml", ".secloop/flags.yaml")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TYPES = ", ".join(t.value for t in FlagType)


@dataclass(frozen=True, slots=True)
class Problem:
    place: Place
    message: str
    hint: str | None = None

    def render(self) -> str:
        return f"{self.place}: {self.message}" + (f"\n  hint: {self.hint}" if self.hint else "")


class FlagsFileError(InputError):
    """A flags file is malformed (exit 2); carries every problem found, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        ordered = tuple(sorted(problems, key=lambda p: (p.place.line or 0, p.message)))
        super().__init__(ordered[0].message, place=ordered[0].place, hint=ordered[0].hint)
        self.problems = ordered

    def render(self) -> str:
        count = len(self.problems)
        head = f"error: the flags file has {count} problem{'s' if count != 1 else ''}"
        return head + "\n" + "\n".join(p.render() for p in self.problems)

    def skipped(self) -> Skipped:
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return Skipped(first.place.path, f"invalid flags file: {first.message}{more}", first.place.line)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def bad(self, line: int, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(Place(self.path, line), message, hint))

    def keys(
        self, node: YamlMap, allowed: set[str], what: str, required: tuple[str, ...] = (), line: int = 0
    ) -> None:
        for key in node:
            if key not in allowed:
                self.bad(
                    node.line_of(key),
                    f"unknown key '{key}' in {what}",
                    f"known: {', '.join(sorted(allowed))}",
                )
        for key in required:
            if key not in node:
                self.bad(line or node.line, f"{what} needs '{key}'")

    def mapping(self, node: Any, line: int, what: str) -> YamlMap | None:
        if isinstance(node, YamlMap):
            return node
        self.bad(line, f"{what} must be a mapping, got {_kind(node)}")
        return None

    def sequence(self, node: Any, line: int, what: str) -> list[Any]:
        if node is None:
            return []
        if isinstance(node, list):
            return node
        self.bad(line, f"{what} must be a list, got {_kind(node)}")
        return []

    def text(self, node: YamlMap, key: str, what: str, default: str | None = None) -> str | None:
        value = node.get(key, default)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.bad(node.line_of(key), f"'{key}' of {what} must be a string, got {_kind(value)}")
        return default

    def boolean(self, node: YamlMap, key: str, what: str, default: bool) -> bool:
        value = node.get(key, default)
        if isinstance(value, bool):
            return value
        self.bad(node.line_of(key), f"'{key}' of {what} must be true or false, got {_kind(value)}")
        return default

    # -- constraints, segments, variants ------------------------------------------------------------

    def constraint(self, node: Any, line: int, where: str) -> Constraint | None:
        what = f"a constraint of {where}"
        item = self.mapping(node, line, what)
        if item is None:
            return None
        allowed = {"contextName", "operator", "values", "value", "inverted", "caseInsensitive"}
        self.keys(item, allowed, what, ("contextName", "operator"))
        name = self.text(item, "contextName", what)
        operator = self.text(item, "operator", what)
        if name is None or operator is None:
            return None
        if operator not in OPERATORS:
            self.bad(
                item.line_of("operator"),
                f"unknown operator '{operator}'",
                f"use one of: {', '.join(sorted(OPERATORS))}",
            )
            return None
        values = tuple(
            str(v) for v in self.sequence(item.get("values"), item.line_of("values"), f"'values' of {what}")
        )
        value = self.text(item, "value", what)
        if operator in LIST_OPERATORS:
            if not values:
                self.bad(item.line, f"{operator} needs a non-empty 'values' list")
        elif value is None:
            self.bad(item.line, f"{operator} needs a single 'value'")
        else:
            parse = (
                parse_number
                if operator in NUMBER_OPERATORS
                else parse_time
                if operator in DATE_OPERATORS
                else parse_semver
            )
            if parse(value) is None:
                kind = (
                    "number"
                    if operator in NUMBER_OPERATORS
                    else "ISO 8601 date-time"
                    if operator in DATE_OPERATORS
                    else "semantic version"
                )
                self.bad(item.line_of("value"), f"{operator} needs a {kind}, got {value!r}")
        return Constraint(
            name,
            operator,
            values,
            value,
            self.boolean(item, "inverted", what, False),
            self.boolean(item, "caseInsensitive", what, False),
            item.line,
        )

    def constraints(self, node: YamlMap, where: str) -> tuple[Constraint, ...]:
        items = self.sequence(
            node.get("constraints"), node.line_of("constraints"), f"'constraints' of {where}"
        )
        line = node.line_of("constraints")
        found = (self.constraint(item, line, where) for item in items)
        return tuple(c for c in found if c is not None)

    def variants(self, node: YamlMap, where: str) -> tuple[Variant, ...]:
        out: list[Variant] = []
        line = node.line_of("variants")
        for raw in self.sequence(node.get("variants"), line, f"'variants' of {where}"):
            what = f"a variant of {where}"
            item = self.mapping(raw, line, what)
            if item is None:
                continue
            self.keys(
                item, {"name", "weight", "stickiness", "payload", "overrides"}, what, ("name", "weight")
            )
            name = self.text(item, "name", what)
            weight = item.get("weight")
            if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 1_000_000:
                if "weight" in item:
                    self.bad(
                        item.line_of("weight"),
                        f"'weight' of {what} must be a whole number >= 0, got {weight!r}",
                    )
                continue
            if name is None:
                continue
            out.append(
                Variant(
                    name,
                    weight,
                    self.text(item, "stickiness", what, "default") or "default",
                    self.payload(item, what),
                    self.overrides(item, what),
                    item.line,
                )
            )
        if out and sum(v.weight for v in out) == 0:
            self.bad(line, f"the variants of {where} weigh 0 in total", "give at least one variant a weight")
        names = [v.name for v in out]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            self.bad(line, f"variant '{dup}' is declared twice in {where}")
        return tuple(out)

    def payload(self, item: YamlMap, what: str) -> Payload | None:
        if "payload" not in item:
            return None
        node = self.mapping(item["payload"], item.line_of("payload"), f"the payload of {what}")
        if node is None:
            return None
        self.keys(node, {"type", "value"}, f"the payload of {what}", ("type", "value"))
        kind = self.text(node, "type", what)
        value = self.text(node, "value", what)
        if kind is None or value is None:
            return None
        if kind not in PAYLOAD_TYPES:
            self.bad(
                node.line_of("type"),
                f"unknown payload type '{kind}'",
                f"use one of: {', '.join(PAYLOAD_TYPES)}",
            )
            return None
        if kind == "json":
            try:
                json.loads(value)
            except json.JSONDecodeError as exc:
                self.bad(node.line_of("value"), f"the json payload of {what} does not parse: {exc.msg}")
        if kind == "number" and parse_number(value) is None:
            self.bad(node.line_of("value"), f"the number payload of {what} is not a number: {value!r}")
        return Payload(kind, value)

    def overrides(self, item: YamlMap, what: str) -> tuple[Override, ...]:
        out: list[Override] = []
        line = item.line_of("overrides")
        for raw in self.sequence(item.get("overrides"), line, f"'overrides' of {what}"):
            node = self.mapping(raw, line, f"an override of {what}")
            if node is None:
                continue
            self.keys(node, {"contextName", "values"}, f"an override of {what}", ("contextName", "values"))
            name = self.text(node, "contextName", what)
            values = self.sequence(
                node.get("values"), node.line_of("values"), f"'values' of an override of {what}"
            )
            if name is not None:
                out.append(Override(name, tuple(str(v) for v in values)))
        return tuple(out)

    # -- strategies, environments, flags ------------------------------------------------------------

    def strategy(self, raw: Any, line: int, flag: str, env: str, segments: set[str]) -> Strategy | None:
        where = f"flag '{flag}' in '{env}'"
        item = self.mapping(raw, line, f"a strategy of {where}")
        if item is None:
            return None
        allowed = {"name", "parameters", "constraints", "segments", "variants"}
        self.keys(item, allowed, f"a strategy of {where}", ("name",))
        name = self.text(item, "name", where)
        if name is None:
            return None
        if name == "gradualRollout":
            name = "flexibleRollout"
        if name not in STRATEGIES:
            self.bad(
                item.line_of("name"), f"unknown strategy '{name}'", f"use one of: {', '.join(STRATEGIES)}"
            )
            return None
        params = item.get("parameters", YamlMap(item.line))
        params = self.mapping(
            params, item.line_of("parameters"), f"'parameters' of a strategy of {where}"
        ) or YamlMap(item.line)
        rollout = 100
        user_ids: tuple[str, ...] = ()
        if name == "flexibleRollout":
            self.keys(
                params, {"rollout", "stickiness", "groupId"}, f"the flexibleRollout of {where}", ("rollout",)
            )
            raw_rollout = params.get("rollout", 100)
            number = parse_number(str(raw_rollout)) if not isinstance(raw_rollout, bool) else None
            if number is None or not number.is_integer() or not 0 <= number <= 100:
                self.bad(
                    params.line_of("rollout"),
                    f"'rollout' must be a whole percentage 0..100, got {raw_rollout!r}",
                )
            else:
                rollout = int(number)
        elif name == "userWithId":
            self.keys(params, {"userIds"}, f"the userWithId strategy of {where}", ("userIds",))
            ids = params.get("userIds", "")
            listed = (
                ids.split(",")
                if isinstance(ids, str)
                else [str(i) for i in ids]
                if isinstance(ids, list)
                else []
            )
            user_ids = tuple(u.strip() for u in listed if u.strip())
        else:
            self.keys(params, set(), f"the default strategy of {where}")
        names = tuple(
            str(s) for s in self.sequence(item.get("segments"), item.line_of("segments"), "'segments'")
        )
        for missing in [s for s in names if s not in segments]:
            self.bad(
                item.line_of("segments"),
                f"unknown segment '{missing}'",
                "declare it under the top-level 'segments'",
            )
        return Strategy(
            name,
            rollout,
            self.text(params, "stickiness", where, "default") or "default",
            self.text(params, "groupId", where, flag) or flag,
            user_ids,
            self.constraints(item, where),
            names,
            self.variants(item, f"a strategy of {where}"),
            item.line,
        )

    def environment(
        self, name: str, raw: Any, line: int, flag: str, segments: set[str]
    ) -> Environment | None:
        what = f"environment '{name}' of flag '{flag}'"
        item = self.mapping(raw, line, what)
        if item is None:
            return None
        self.keys(item, {"enabled", "strategies"}, what, ("enabled",))
        raws = self.sequence(item.get("strategies"), item.line_of("strategies"), f"'strategies' of {what}")
        found = (self.strategy(s, item.line_of("strategies"), flag, name, segments) for s in raws)
        return Environment(
            name, self.boolean(item, "enabled", what, False), tuple(s for s in found if s), item.line
        )

    def flag(self, name: str, raw: Any, line: int, segments: set[str]) -> Flag | None:
        what = f"flag '{name}'"
        if not NAME.match(name):
            self.bad(line, f"flag name {name!r} is not URL-friendly", "use letters, digits, '.', '_' and '-'")
        item = self.mapping(raw, line, what)
        if item is None:
            return None
        allowed = {"type", "owner", "created", "description", "environments", "variants"}
        self.keys(item, allowed, what, ("type", "owner", "created", "environments"), line)
        kind = self.text(item, "type", what)
        flag_type: FlagType | None = None
        if kind is not None:
            try:
                flag_type = FlagType(kind)
            except ValueError:
                self.bad(item.line_of("type"), f"unknown flag type '{kind}'", f"use one of: {TYPES}")
        created = item.get("created")
        if isinstance(created, str):
            with contextlib.suppress(ValueError):
                created = date.fromisoformat(created)
        if "created" in item and not isinstance(created, date):
            self.bad(
                item.line_of("created"), f"'created' of {what} must be a date (YYYY-MM-DD), got {created!r}"
            )
        envs_node = item.get("environments")
        environments: list[Environment] = []
        if envs_node is not None:
            envs = self.mapping(envs_node, item.line_of("environments"), f"'environments' of {what}")
            for env_name, env_raw in (envs or {}).items():
                env = self.environment(
                    str(env_name), env_raw, envs.line_of(env_name) if envs else line, name, segments
                )
                if env is not None:
                    environments.append(env)
            if envs is not None and not envs:
                self.bad(envs.line, f"{what} has no environment")
        owner = self.text(item, "owner", what)
        if flag_type is None or owner is None or not isinstance(created, date) or envs_node is None:
            return None
        return Flag(
            name,
            flag_type,
            owner,
            created,
            tuple(environments),
            self.text(item, "description", what, "") or "",
            self.variants(item, what),
            line,
        )

    def segments(self, root: YamlMap) -> tuple[Segment, ...]:
        if "segments" not in root:
            return ()
        node = self.mapping(root["segments"], root.line_of("segments"), "'segments'")
        out: list[Segment] = []
        for name, raw in (node or {}).items():
            assert node is not None
            what = f"segment '{name}'"
            item = self.mapping(raw, node.line_of(name), what)
            if item is None:
                continue
            self.keys(item, {"description", "constraints"}, what, ("constraints",))
            out.append(
                Segment(
                    str(name),
                    self.constraints(item, what),
                    self.text(item, "description", what, "") or "",
                    item.line,
                )
            )
        return tuple(out)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", YamlMap: "a mapping", list: "a list", bool: "a boolean", str: "a string"}.get(
        type(value), type(value).__name__
    )


def parse_flags(text: str, path: str) -> FlagsFile:
    """The flags file in `text`; raises FlagsFileError naming every problem with its line."""
    docs, skipped = load_yaml(text, path)
    if skipped is not None:
        raise FlagsFileError([Problem(Place(path, skipped.line, skipped.column), skipped.reason)])
    reader = _Reader(path)
    if len(docs) != 1 or not isinstance(docs[0], YamlMap):
        raise FlagsFileError([Problem(Place(path, 1), "a flags file is one YAML mapping with a 'flags' key")])
    root = docs[0]
    reader.keys(root, {"version", "segments", "flags"}, "the flags file", ("flags",))
    if root.get("version", 1) != 1:
        reader.bad(root.line_of("version"), f"unsupported version {root.get('version')!r}", "use version: 1")
    segments = reader.segments(root)
    names = {s.name for s in segments}
    flags: list[Flag] = []
    if "flags" in root:
        node = reader.mapping(root["flags"], root.line_of("flags"), "'flags'")
        for name, raw in (node or {}).items():
            assert node is not None
            flag = reader.flag(str(name), raw, node.line_of(name), names)
            if flag is not None:
                flags.append(flag)
    if reader.problems:
        raise FlagsFileError(reader.problems)
    return FlagsFile(path, tuple(flags), segments)


def load_flags(path: Path, display: str | None = None) -> FlagsFile:
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the flags file: {exc}", place=Place(shown)) from None
    return parse_flags(text, shown)


def find_flags_file(root: Path) -> Path | None:
    for candidate in DEFAULT_PATHS:
        if (root / candidate).is_file():
            return root / candidate
    return None
