"""A GitHub Actions workflow as typed, frozen values that keep the line and column of every key and value.

The YAML is composed (not loaded) so every node keeps its marks; values keep their source text as
written (`raw`) so an audit can point at an expression inside a multi-line `run:` script exactly.
A file that is not a workflow at all is a `Skipped`, never an exception; a single malformed job or
step inside an otherwise valid workflow is a `Skipped` in `Workflow.problems`, and the rest is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeGuard

import yaml

from secloop.core.model import Location, Skipped

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The line breaks YAML 1.1 knows; libyaml counts lines with the same set.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
MAX_DEPTH = 1000
_CHEAP_BOUND = 5000
_MERGE_DEPTH = 8
_MERGE = "tag:yaml.org,2002:merge"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Expression:
    """One `${{ … }}`: its inner text (stripped) and where the `${{` starts and the `}}` ends."""

    text: str
    location: Location


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar value: what YAML reads (`text`) and the source as written (`raw`) with its location."""

    text: str
    raw: str
    location: Location

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of the character at `offset` into `raw`."""
        line = self.location.start_line or 1
        column = self.location.start_column or 1
        last_end = None
        for match in _BREAK.finditer(self.raw, 0, offset):
            line += 1
            last_end = match.end()
        if last_end is None:
            return line, column + offset
        return line, offset - last_end + 1

    def span(self, start: int, end: int) -> Location:
        """The location of raw[start:end]."""
        first = self.position(start)
        last = self.position(end)
        return Location(self.location.path, first[0], first[1], last[0], last[1])

    def expressions(self) -> Iterator[Expression]:
        for match in EXPRESSION.finditer(self.raw):
            yield Expression(match.group(1).strip(), self.span(match.start(), match.end()))


@dataclass(frozen=True, slots=True)
class Entry:
    """A `key: value` of a small mapping (`with:`, `env:`, `permissions:`); value None when not scalar."""

    key: str
    key_location: Location
    value: Scalar | None


def lookup(entries: tuple[Entry, ...], key: str) -> Entry | None:
    for entry in entries:
        if entry.key == key:
            return entry
    return None


@dataclass(frozen=True, slots=True)
class Permissions:
    """`permissions:` as written: a preset (`read-all`, `write-all`, or `{}`) or scopes."""

    location: Location
    preset: str | None
    scopes: tuple[Entry, ...]

    @property
    def write_all(self) -> bool:
        return self.preset == "write-all"

    @property
    def writes(self) -> tuple[Entry, ...]:
        return tuple(s for s in self.scopes if s.value is not None and s.value.text.strip() == "write")


@dataclass(frozen=True, slots=True)
class Filter:
    """A trigger filter such as `branches: [main]`, `types: [opened]` or `cron: '0 0 * * *'`."""

    key: str
    values: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class Trigger:
    event: str
    location: Location
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    location: Location
    id: str | None
    name: str | None
    uses: Scalar | None
    run: Scalar | None
    with_: tuple[Entry, ...]
    env: tuple[Entry, ...]
    if_: Scalar | None = None

    @property
    def key(self) -> str:
        """What identifies the step across edits: its id, else its name, else what it uses, else its index."""
        if self.id:
            return self.id
        if self.name:
            return self.name
        if self.uses is not None:
            return self.uses.text
        return f"#{self.index}"

    def uses_action(self, action: str) -> bool:
        """True when the step uses `action` (owner/repo) at any ref."""
        if self.uses is None:
            return False
        name = self.uses.text.strip().split("@", 1)[0]
        return name.lower() == action.lower()


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    location: Location
    name: str | None
    runs_on: tuple[Scalar, ...]
    permissions: Permissions | None
    environment: str | None
    steps: tuple[Step, ...]
    uses: Scalar | None
    secrets: Scalar | None
    env: tuple[Entry, ...]
    matrix: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()
    if_: Scalar | None = None
    container: Scalar | None = None
    services: tuple[Entry, ...] = ()

    @property
    def secrets_inherit(self) -> bool:
        return self.secrets is not None and self.secrets.text.strip() == "inherit"

    def matrix_values(self, key: str) -> tuple[Scalar, ...]:
        return next((values for name, values in self.matrix if name == key), ())


@dataclass(frozen=True, slots=True)
class Workflow:
    path: str
    name: str | None
    triggers: tuple[Trigger, ...]
    permissions: Permissions | None
    env: tuple[Entry, ...]
    jobs: tuple[Job, ...]
    problems: tuple[Skipped, ...] = ()

    @property
    def events(self) -> frozenset[str]:
        return frozenset(t.event for t in self.triggers)

    def trigger(self, event: str) -> Trigger | None:
        return next((t for t in self.triggers if t.event == event), None)

    def steps(self) -> Iterator[tuple[Job, Step]]:
        for job in self.jobs:
            for step in job.steps:
                yield job, step


# -- composing -----------------------------------------------------------------------------------
#
# Nodes, events and errors are recognised by shape, not by class: libyaml's extension keeps the
# classes of the first import of `yaml`, so after a re-import (coverage and reloaders do this)
# isinstance() against `yaml.MappingNode` is silently False for every node it composes.


def _is_scalar(node: object) -> TypeGuard[yaml.ScalarNode]:
    return getattr(node, "id", None) == "scalar"


def _is_sequence(node: object) -> TypeGuard[yaml.SequenceNode]:
    return getattr(node, "id", None) == "sequence"


def _is_mapping(node: object) -> TypeGuard[yaml.MappingNode]:
    return getattr(node, "id", None) == "mapping"


def _is_yaml_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("yaml") or isinstance(exc, (RecursionError, ValueError))


class _Source:
    """The file's text and path, to turn node marks into Locations and raw source slices."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text

    def location(self, node: yaml.Node) -> Location:
        start, end = node.start_mark, node.end_mark
        return Location(self.path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def scalar(self, node: yaml.Node | None) -> Scalar | None:
        if not _is_scalar(node):
            return None
        raw = self.text[node.start_mark.index : node.end_mark.index]
        return Scalar(str(node.value), raw, self.location(node))

    def text_of(self, node: yaml.Node | None) -> str | None:
        return str(node.value) if _is_scalar(node) else None

    def entries(self, node: yaml.Node | None) -> tuple[Entry, ...]:
        return tuple(Entry(k.value, self.location(k), self.scalar(v)) for k, v in _items(node))


def _items(node: yaml.Node | None, depth: int = 0) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    """Key/value pairs of a mapping node with scalar keys; merge keys (`<<`) are expanded."""
    # Aliases can make merge keys cyclic (`&a {<<: *a}`): follow a few levels only.
    if not _is_mapping(node) or depth > _MERGE_DEPTH:
        return []
    merged: list[tuple[yaml.ScalarNode, yaml.Node]] = []
    own: list[tuple[yaml.ScalarNode, yaml.Node]] = []
    for key, value in node.value:
        if not _is_scalar(key):
            continue
        if key.tag == _MERGE or (key.value == "<<" and not key.style and key.tag is None):
            sources = value.value if _is_sequence(value) else [value]
            for source in sources:
                merged.extend(_items(source, depth + 1))
        else:
            own.append((key, value))
    if not merged:
        return own
    overridden = {k.value for k, _ in own}
    return [(k, v) for k, v in merged if k.value not in overridden] + own


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    found = None
    for k, v in _items(node):
        if k.value == key:
            found = v
    return found


def _key_node(node: yaml.Node | None, key: str) -> yaml.ScalarNode | None:
    found = None
    for k, _ in _items(node):
        if k.value == key:
            found = k
    return found


def _kind(node: yaml.Node | None) -> str:
    if _is_mapping(node):
        return "a mapping"
    if _is_sequence(node):
        return "a sequence"
    if node is None:
        return "nothing"
    return f"the scalar {str(node.value)[:40]!r}" if node.value else "an empty value"


def _skip(path: str, reason: str, node: yaml.Node | None) -> Skipped:
    if node is None:
        return Skipped(path, reason)
    return Skipped(path, reason, node.start_mark.line + 1, node.start_mark.column + 1)


def _strings(src: _Source, node: yaml.Node | None) -> tuple[str, ...]:
    if _is_scalar(node):
        return (str(node.value),)
    if _is_sequence(node):
        return tuple(str(item.value) for item in node.value if _is_scalar(item))
    if _is_mapping(node):
        return tuple(k.value for k, _ in _items(node))
    return ()


def _triggers(src: _Source, node: yaml.Node) -> tuple[Trigger, ...]:
    if _is_scalar(node):
        return (Trigger(str(node.value), src.location(node)),) if node.value else ()
    if _is_sequence(node):
        return tuple(Trigger(str(item.value), src.location(item)) for item in node.value if _is_scalar(item))
    triggers = []
    for key, value in _items(node):
        filters: list[Filter] = []
        if _is_sequence(value):  # schedule: [{cron: …}, …]
            crons = tuple(c for item in value.value for c in _strings(src, _get(item, "cron")))
            if crons:
                filters.append(Filter("cron", crons, src.location(value)))
        for fkey, fvalue in _items(value):
            filters.append(Filter(fkey.value, _strings(src, fvalue), src.location(fkey)))
        triggers.append(Trigger(key.value, src.location(key), tuple(filters)))
    return tuple(triggers)


def _permissions(src: _Source, key: yaml.ScalarNode | None, node: yaml.Node | None) -> Permissions | None:
    if key is None or node is None:
        return None
    location = src.location(key)
    if _is_scalar(node):
        return Permissions(location, str(node.value).strip(), ())
    if _is_mapping(node) and not node.value:
        return Permissions(location, "", ())
    return Permissions(location, None, src.entries(node))


def _runs_on(src: _Source, node: yaml.Node | None) -> tuple[Scalar, ...]:
    if _is_mapping(node):  # {group: …, labels: […]}
        node = _get(node, "labels")
    if _is_scalar(node):
        items: list[yaml.Node] = [node]
    elif _is_sequence(node):
        items = list(node.value)
    else:
        return ()
    return tuple(s for s in (src.scalar(i) for i in items) if s is not None)


def _matrix(src: _Source, strategy: yaml.Node | None) -> tuple[tuple[str, tuple[Scalar, ...]], ...]:
    matrix = _get(strategy, "matrix")
    values: dict[str, list[Scalar]] = {}
    for key, value in _items(matrix):
        if key.value in ("include", "exclude"):
            continue
        if _is_sequence(value):
            values.setdefault(key.value, []).extend(
                s for s in (src.scalar(item) for item in value.value) if s is not None
            )
    include = _get(matrix, "include")
    if _is_sequence(include):
        for item in include.value:
            for key, value in _items(item):
                scalar = src.scalar(value)
                if scalar is not None:
                    values.setdefault(key.value, []).append(scalar)
    return tuple((k, tuple(v)) for k, v in values.items())


def _step(src: _Source, index: int, node: yaml.Node) -> Step:
    return Step(
        index=index,
        location=src.location(node),
        id=src.text_of(_get(node, "id")),
        name=src.text_of(_get(node, "name")),
        uses=src.scalar(_get(node, "uses")),
        run=src.scalar(_get(node, "run")),
        with_=src.entries(_get(node, "with")),
        env=src.entries(_get(node, "env")),
        if_=src.scalar(_get(node, "if")),
    )


def _image(src: _Source, node: yaml.Node | None) -> Scalar | None:
    """`container: image` or `container: {image: …}` (the same shape serves `services:` entries)."""
    return src.scalar(_get(node, "image")) if _is_mapping(node) else src.scalar(node)


def _job(src: _Source, key: yaml.ScalarNode, node: yaml.MappingNode, problems: list[Skipped]) -> Job:
    steps: list[Step] = []
    steps_node = _get(node, "steps")
    if _is_sequence(steps_node):
        for index, item in enumerate(steps_node.value):
            if _is_mapping(item):
                steps.append(_step(src, index, item))
            else:
                problems.append(
                    _skip(src.path, f"job {key.value}: step {index} is {_kind(item)}, not a mapping", item)
                )
    elif steps_node is not None and not (_is_scalar(steps_node) and not steps_node.value):
        problems.append(
            _skip(src.path, f"job {key.value}: `steps:` is {_kind(steps_node)}, not a list", steps_node)
        )
    env_node = _get(node, "environment")
    environment = src.text_of(env_node) if env_node is not None else None
    if _is_mapping(env_node):
        environment = src.text_of(_get(env_node, "name"))
    return Job(
        id=str(key.value),
        location=src.location(key),
        name=src.text_of(_get(node, "name")),
        runs_on=_runs_on(src, _get(node, "runs-on")),
        permissions=_permissions(src, _key_node(node, "permissions"), _get(node, "permissions")),
        environment=environment,
        steps=tuple(steps),
        uses=src.scalar(_get(node, "uses")),
        secrets=src.scalar(_get(node, "secrets")),
        env=src.entries(_get(node, "env")),
        matrix=_matrix(src, _get(node, "strategy")),
        if_=src.scalar(_get(node, "if")),
        container=_image(src, _get(node, "container")),
        services=tuple(
            Entry(k.value, src.location(k), _image(src, v)) for k, v in _items(_get(node, "services"))
        ),
    )


def _too_deep(text: str) -> tuple[int, int] | None:
    """The 1-based (line, column) where nesting passes MAX_DEPTH, if it does.

    libyaml's composer recurses on the C stack and crashes the interpreter (no exception) somewhere
    past 20,000 levels, so depth is bounded before composing. Depth can never exceed the number of
    flow openers plus the length of the longest line, so most files skip the exact check.
    """
    bound = text.count("[") + text.count("{") + max(map(len, text.splitlines()), default=0)
    if bound <= _CHEAP_BOUND:
        return None
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        kind = type(event).__name__
        if kind in ("MappingStartEvent", "SequenceStartEvent"):
            depth += 1
            mark = event.start_mark
            if depth > MAX_DEPTH and mark is not None:
                return mark.line + 1, mark.column + 1
        elif kind in ("MappingEndEvent", "SequenceEndEvent"):
            depth -= 1
    return None


def compose(path: str, text: str) -> yaml.Node | Skipped:
    """The YAML node tree of one document, or why it could not be read."""
    text = text.removeprefix("\ufeff")
    try:
        deep = _too_deep(text)
        if deep is not None:
            return Skipped(path, f"not read: YAML nested deeper than {MAX_DEPTH} levels", *deep)
        node: yaml.Node | None = yaml.compose(text, Loader=_Loader)
    except Exception as exc:
        if not _is_yaml_error(exc):
            raise
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if mark is None:
            detail = " ".join(str(exc).split())[:200]
            return Skipped(path, f"malformed YAML: {type(exc).__name__}: {detail}")
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "invalid YAML"
        return Skipped(path, f"malformed YAML: {problem}", mark.line + 1, mark.column + 1)
    if node is None:
        return Skipped(path, "empty workflow file")
    return node


def parse_workflow(path: str, text: str) -> Workflow | Skipped:
    """The typed workflow in `text`, or a Skipped saying why it is not one."""
    root = compose(path, text)
    if isinstance(root, Skipped):
        return root
    if not _is_mapping(root):
        return _skip(path, f"not a workflow: the document is {_kind(root)}, expected a mapping", root)
    src = _Source(path, text.removeprefix("\ufeff"))
    on = _get(root, "on")
    if on is None:
        on = _get(root, "true")  # YAML 1.1 readers that turned `on` into a boolean key
    if on is None:
        return Skipped(path, "not a workflow: no `on:` trigger", 1, 1)
    jobs_node = _get(root, "jobs")
    if not _is_mapping(jobs_node):
        where = jobs_node if jobs_node is not None else root
        return _skip(path, f"not a workflow: `jobs:` is {_kind(jobs_node)}, expected a mapping", where)
    problems: list[Skipped] = []
    jobs: list[Job] = []
    for key, value in _items(jobs_node):
        if _is_mapping(value):
            jobs.append(_job(src, key, value, problems))
        else:
            problems.append(_skip(path, f"job {key.value} is {_kind(value)}, not a mapping", value))
    return Workflow(
        path=path,
        name=src.text_of(_get(root, "name")),
        triggers=_triggers(src, on),
        permissions=_permissions(src, _key_node(root, "permissions"), _get(root, "permissions")),
        env=src.entries(_get(root, "env")),
        jobs=tuple(jobs),
        problems=tuple(problems),
    )


COMPOSITE_JOB = "(composite)"


def parse_action(path: str, text: str) -> Workflow | Skipped:
    """A composite action (action.yml) as a workflow without triggers holding one job of its steps.

    Docker and JavaScript actions have no steps to audit and come back with an empty job list.
    """
    root = compose(path, text)
    if isinstance(root, Skipped):
        return root
    if not _is_mapping(root):
        return _skip(path, f"not an action: the document is {_kind(root)}, expected a mapping", root)
    runs = _get(root, "runs")
    if not _is_mapping(runs):
        return _skip(path, f"not an action: `runs:` is {_kind(runs)}, expected a mapping", runs or root)
    src = _Source(path, text.removeprefix("\ufeff"))
    problems: list[Skipped] = []
    jobs: tuple[Job, ...] = ()
    if (src.text_of(_get(runs, "using")) or "").strip().lower() == "composite":
        key = _key_node(root, "runs")
        assert key is not None
        job = _job(src, key, runs, problems)
        jobs = (Job(COMPOSITE_JOB, job.location, None, (), None, None, job.steps, None, None, ()),)
    return Workflow(path, src.text_of(_get(root, "name")), (), None, (), jobs, tuple(problems))
