"""Reading a Threagile model: YAML with lines kept, named sections, references, notes and ids.

Shared by `threagile` (the elements) and `threagile_risks` (hand-written risks and their tracking).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from secloop.core.errors import Place
from secloop.threatmodel.problems import ModelError, Problem
from secloop.threatmodel.yamlnodes import Duplicate, YamlSyntaxError, compose, locate, mark_of, to_python

Loc = tuple[str | int, ...]


def plain(value: object) -> str:
    """Threagile texts carry HTML for its reports; secloop keeps plain text on one line."""
    return " ".join(re.sub(r"<[^>]+>", "", str(value)).split())


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._:/-]+", "-", text).strip("-._:/") or "x"


def shown(key: str, value: object) -> str:
    if isinstance(value, list):
        return f"{key} [{', '.join(plain(v) for v in value)}]"
    if isinstance(value, dict):
        return f"{key} ({len(value)})"
    text = plain(value).lower() if isinstance(value, bool) else plain(value)
    return f"{key} {text}" if len(text) <= 40 else key


def unmapped(item: dict[str, Any], mapped: frozenset[str]) -> list[str]:
    """The keys secloop has no place for (diagram layout aside), with short values shown."""
    return [
        shown(str(key), value)
        for key, value in item.items()
        if key not in mapped
        and not str(key).startswith("diagram_tweak")
        and value not in (None, "", [], {}, False)
    ]


class Ids:
    """Threagile ids are unique per kind; secloop ids are shared by every element, so keep them apart."""

    def __init__(self, notes: list[str]) -> None:
        self.map: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()
        self.notes = notes

    def __call__(self, kind: str, raw: str) -> str:
        key = (kind, raw)
        if key not in self.map:
            base = slug(raw)
            ident, n = base, 2
            while ident in self.used:
                ident, n = f"{base}-{n}", n + 1
            self.used.add(ident)
            self.map[key] = ident
            if ident != raw:
                self.notes.append(f"{kind} {raw!r} is imported as '{ident}'")
        return self.map[key]


class Reader:
    """Problems with the place of the key or value at fault, followed through the composed nodes."""

    def __init__(self, root: Any | None, path: str) -> None:
        self.root = root
        self.path = path
        self.problems: list[Problem] = []

    def place(self, loc: Loc) -> Place:
        if self.root is None:
            return Place(self.path)
        mark = mark_of(locate(self.root, loc)[0])
        return Place(self.path, mark.line, mark.column)

    def error(self, loc: Loc, message: str, expected: str | None = None, hint: str | None = None) -> None:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        self.problems.append(Problem(self.place(loc), f"{where}: {message}", expected, hint))

    def entries(self, raw: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        """The named entries of a section (a mapping of mappings); None and empty are fine."""
        section = raw.get(key)
        if section is None:
            return []
        if not isinstance(section, dict):
            self.error((key,), "expected a mapping of named entries", "name: {id: ..., ...}")
            return []
        out = []
        for name, item in section.items():
            if isinstance(item, dict):
                out.append((str(name), item))
            else:
                self.error((key, str(name)), "expected a mapping of keys", "id: ..., description: ...")
        return out

    def choice(self, item: dict[str, Any], loc: Loc, key: str, allowed: Iterable[str]) -> str | None:
        value = item.get(key)
        options = list(allowed)
        if value is None:
            self.error((*loc, key), "missing", f"one of: {', '.join(options)}")
            return None
        if str(value) not in options:
            close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
            self.error(
                (*loc, key),
                f"{value!r} is not a Threagile value",
                f"one of: {', '.join(options)}",
                f"did you mean '{close[0]}'?" if close else None,
            )
            return None
        return str(value)

    def ident(self, item: dict[str, Any], loc: Loc) -> str | None:
        value = item.get("id")
        if value is None or str(value).strip() == "":
            self.error(loc, "missing required key 'id'", "'id:' in this mapping")
            return None
        return str(value)

    def refs(self, item: dict[str, Any], loc: Loc, key: str, known: dict[str, str], what: str) -> list[str]:
        """The secloop ids of the Threagile ids listed under ``key``; unknown ones are errors."""
        values = item.get(key) or []
        if not isinstance(values, list):
            self.error((*loc, key), "expected a list of ids", "- an-id")
            return []
        out = []
        for index, value in enumerate(values):
            ref = str(value)
            if ref in known:
                out.append(known[ref])
                continue
            close = difflib.get_close_matches(ref, sorted(known), n=1, cutoff=0.6)
            self.error(
                (*loc, key, index),
                f"no {what} has the id '{ref}'",
                f"the id of a {what}",
                f"did you mean '{close[0]}'?" if close else f"declare the {what} or fix the reference",
            )
        return out


def read_yaml(text: str, path: str) -> tuple[Any, Any | None]:
    """Plain data and the root node of a YAML file to import; malformed YAML is an error with its line."""
    try:
        root = compose(text)
    except YamlSyntaxError as exc:
        where = Place(path, exc.mark.line, exc.mark.column) if exc.mark else Place(path)
        raise ModelError([Problem(where, f"not valid YAML: {exc.problem}")]) from None
    if root is None:
        raise ModelError([Problem(Place(path), "the file is empty")])
    duplicates: list[Duplicate] = []
    raw = to_python(root, duplicates)
    if duplicates:
        raise ModelError(
            [
                Problem(
                    Place(path, d.mark.line, d.mark.column),
                    f"duplicate key '{d.key}' (first at line {d.first.line})",
                    hint="keep one of them: YAML would silently use the last",
                )
                for d in duplicates
            ]
        )
    return raw, root
