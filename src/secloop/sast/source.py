"""Parsed Python files and the stable identity of a finding inside one.

Parsing uses the running interpreter's `ast` (3.11): syntax newer than that (3.12 f-string nesting,
`type` aliases, PEP 695 generics) is a SyntaxError and the file is reported as skipped with its line.
"""

from __future__ import annotations

import ast
import bisect
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from secloop.core.fingerprint import keyed_fingerprint, normalise
from secloop.core.model import Finding, Skipped


@dataclass(frozen=True)
class FileLines:
    """What a fingerprint needs of a file, without its syntax tree (kept in the analysis cache)."""

    lines: tuple[str, ...]
    scopes: tuple[tuple[int, int, str], ...]  # (start, end, qualname), by start

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def qualname(self, number: int) -> str:
        return _qualname(self.scopes, number)


def _qualname(scopes: tuple[tuple[int, int, str], ...], number: int) -> str:
    """The innermost function or class around a line ("" at module level)."""
    best = ""
    index = bisect.bisect_right([s[0] for s in scopes], number)
    for start, end, name in scopes[:index]:
        if start <= number <= end:
            best = name
    return best


class Lines(Protocol):
    def line(self, number: int) -> str: ...
    def qualname(self, number: int) -> str: ...


@dataclass(frozen=True)
class PySource:
    path: str
    text: str
    tree: ast.Module
    lines: tuple[str, ...] = field(default=())
    scopes: tuple[tuple[int, int, str], ...] = field(default=())  # (start, end, qualname), by start

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def qualname(self, number: int) -> str:
        return _qualname(self.scopes, number)


def _scopes(tree: ast.Module) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                out.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return sorted(out)


def parse(path: str, text: str) -> PySource | Skipped:
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return Skipped(
            path,
            f"Python syntax this interpreter (3.11) cannot parse: {exc.msg}",
            line=exc.lineno,
            column=exc.offset,
        )
    except ValueError as exc:  # null bytes
        return Skipped(path, f"not parseable as Python: {exc}")
    return PySource(path, text, tree, tuple(text.splitlines()), tuple(_scopes(tree)))


def with_fingerprints(findings: Iterable[Finding], sources: Mapping[str, Lines]) -> list[Finding]:
    """Fingerprint = rule + path + enclosing qualname + normalised flagged line + occurrence index.

    No line number: inserting lines or reformatting the file keeps it; two identical issues in the
    same function get occurrence 0 and 1, so a second copy is new against a baseline.
    """
    seen: Counter[tuple[str, ...]] = Counter()
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        loc = f.primary
        src = sources.get(loc.path) if loc else None
        number = (loc.start_line or 0) if loc else 0
        qual = src.qualname(number) if src else ""
        text = normalise(src.line(number)) if src else ""
        key = (f.rule_id, loc.path if loc else "", qual, text)
        occurrence = seen[key]
        seen[key] += 1
        props = (*f.properties, ("scope", qual)) if qual else f.properties
        out.append(
            replace(
                f,
                fingerprint=keyed_fingerprint(f.rule_id, key[1], qual, text, str(occurrence)),
                properties=props,
            )
        )
    return out
