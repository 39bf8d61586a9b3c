"""YAML node helpers shared by the platform parsers: composed nodes keep their line numbers.

Node kinds are told apart by `node.id`, not `isinstance`: when `yaml` is first imported under a
tracer (coverage), the C extension can build nodes and errors from a second copy of `yaml.nodes`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TypeGuard

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from secloop.core.model import Skipped
from secloop.sources.ci.interface import Step, StepKind

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAIN_BRANCHES = ("main", "master", "trunk")
_MAX_DEPTH = 40


def is_scalar(node: object) -> TypeGuard[ScalarNode]:
    return getattr(node, "id", None) == "scalar"


def is_seq(node: object) -> TypeGuard[SequenceNode]:
    return getattr(node, "id", None) == "sequence"


def is_map(node: object) -> TypeGuard[MappingNode]:
    return getattr(node, "id", None) == "mapping"


def compose(path: str, text: str, skipped: list[Skipped]) -> Node | None:
    """The first document's node tree; a parse error becomes a `Skipped` with its line and column."""
    try:
        docs = list(yaml.compose_all(text, Loader=_Loader))
    except Exception as exc:  # PyYAML's errors, possibly from a second copy of its module (see above)
        if not type(exc).__module__.startswith("yaml") and not isinstance(exc, RecursionError | ValueError):
            raise
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        skipped.append(Skipped(path, f"invalid YAML: {problem}", line, column))
        return None
    return next((d for d in docs if d is not None), None)


def compose_mapping(path: str, text: str, skipped: list[Skipped]) -> MappingNode | None:
    root = compose(path, text, skipped)
    if root is None:
        if not any(s.path == path for s in skipped):
            skipped.append(Skipped(path, "empty YAML file"))
        return None
    if not is_map(root):
        skipped.append(Skipped(path, "expected a YAML mapping at the top level", line=line(root)))
        return None
    return root


def line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def pairs(node: Node | None, depth: int = 0) -> Iterator[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping, with `<<` merge keys expanded (explicit keys win)."""
    if not is_map(node) or depth > _MAX_DEPTH:
        return
    own: list[tuple[str, Node, Node]] = []
    merged: list[tuple[str, Node, Node]] = []
    for key, value in node.value:
        name = str(key.value) if is_scalar(key) else ""
        if name == "<<":
            for source in value.value if is_seq(value) else [value]:
                merged.extend(pairs(source, depth + 1))
        else:
            own.append((name, key, value))
    names = {name for name, _, _ in own}
    yield from own
    yield from (item for item in merged if item[0] not in names)


def get(node: Node | None, key: str) -> Node | None:
    return next((value for name, _, value in pairs(node) if name == key), None)


def scalar(node: Node | None) -> str | None:
    return str(node.value) if is_scalar(node) else None


def seq(node: Node | None) -> list[Node]:
    return list(node.value) if is_seq(node) else []


def strings(node: Node | None) -> list[str]:
    """A scalar or a list of scalars, as strings."""
    if is_scalar(node):
        return [str(node.value)]
    return [str(n.value) for n in seq(node) if is_scalar(n)]


def walk(node: Node, depth: int = 0) -> Iterator[Node]:
    """Every node under `node`, depth first, merge keys expanded."""
    if depth > _MAX_DEPTH:
        return
    yield node
    if is_seq(node):
        for item in node.value:
            yield from walk(item, depth + 1)
    elif is_map(node):
        for _, _, value in pairs(node):
            yield from walk(value, depth + 1)


def commands(node: Node | None, path: str, job: str | None, depth: int = 0) -> Iterator[Step]:
    """Shell commands of a scalar or (nested) list of scalars; a literal block gives one step per line."""
    if depth > _MAX_DEPTH:
        return
    if is_seq(node):
        for item in node.value:
            yield from commands(item, path, job, depth + 1)
        return
    if not is_scalar(node) or not str(node.value).strip():
        return
    if node.style == "|":
        first = line(node) + 1
        for offset, text in enumerate(str(node.value).split("\n")):
            if text.strip():
                yield Step(path, first + offset, StepKind.RUN, text.strip(), job)
        return
    at = line(node) + (1 if node.style == ">" else 0)
    yield Step(path, at, StepKind.RUN, " ".join(str(node.value).split()), job)


def params(node: Node | None) -> tuple[tuple[str, str], ...]:
    return tuple((name, scalar(value) or "") for name, _, value in pairs(node))


def image(node: Node | None, path: str, job: str | None) -> list[Step]:
    """A container image given as a string or as a mapping with `name:`/`image:`."""
    name = scalar(node) or scalar(get(node, "name")) or scalar(get(node, "image"))
    return [Step(path, line(node), StepKind.IMAGE, name, job)] if node is not None and name else []


# -- branch filters ------------------------------------------------------------------------------


def _glob(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "."}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _bare(pattern: str) -> str:
    return pattern.removeprefix("refs/heads/")


def admits(include: list[str], exclude: list[str], branch: str) -> bool:
    """Whether a branch filter admits `branch`; an empty include list admits every branch."""
    admitted = not include
    for pattern in include:
        if pattern.startswith("!"):
            admitted = admitted and not _glob(_bare(pattern[1:])).match(branch)
        elif _glob(_bare(pattern)).match(branch):
            admitted = True
    return admitted and not any(_glob(_bare(p)).match(branch) for p in exclude)


def admits_main(include: list[str], exclude: list[str]) -> bool:
    """Whether the filter admits the main branch: the main name(s) it mentions, else any of them."""
    named = {_bare(p.removeprefix("!")) for p in include + exclude}
    candidates = [b for b in MAIN_BRANCHES if b in named] or list(MAIN_BRANCHES)
    return any(admits(include, exclude, branch) for branch in candidates)


def admits_other(include: list[str]) -> bool:
    """Whether a filter admits some branch that is not a main branch (a wildcard or another name)."""
    return not include or any(not p.startswith("!") and _bare(p) not in MAIN_BRANCHES for p in include)
