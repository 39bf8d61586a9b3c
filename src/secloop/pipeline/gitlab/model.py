"""A GitLab CI file as typed values with exact locations; local `include:` files are read one by one.

Each file stands alone: a malformed include is a Skipped for that file, and the including file and
every other include are still audited. Keys GitLab reserves at the top level are not jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import yaml

from secloop.core.model import Location, Skipped
from secloop.pipeline.workflow import (
    Entry,
    Scalar,
    _get,
    _is_mapping,
    _is_scalar,
    _is_sequence,
    _items,
    _kind,
    _skip,
    _Source,
    compose,
)

RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "types",
        "spec",
    }
)
SCRIPT_KEYS = ("before_script", "script", "after_script")
MAX_INCLUDES = 50


@dataclass(frozen=True, slots=True)
class Include:
    kind: str  # local | remote | project | template | component
    value: Scalar
    ref: Scalar | None = None
    integrity: bool = False


@dataclass(frozen=True, slots=True)
class GitlabJob:
    name: str
    location: Location
    image: Scalar | None
    services: tuple[Scalar, ...]
    scripts: tuple[Scalar, ...]
    rules: tuple[Scalar, ...]  # every `rules: - if:` and the `only:`/`except:` words
    variables: tuple[Entry, ...]
    id_tokens: tuple[Entry, ...]
    secrets: tuple[Entry, ...]

    @property
    def hidden(self) -> bool:
        return self.name.startswith(".")


@dataclass(frozen=True, slots=True)
class GitlabFile:
    path: str
    includes: tuple[Include, ...]
    image: Scalar | None
    services: tuple[Scalar, ...]
    variables: tuple[Entry, ...]
    jobs: tuple[GitlabJob, ...]
    problems: tuple[Skipped, ...] = ()


def _scalars(src: _Source, node: yaml.Node | None) -> tuple[Scalar, ...]:
    """A scalar or a list of scalars (nested lists, as GitLab allows in scripts, are flattened)."""
    if _is_scalar(node):
        scalar = src.scalar(node)
        return (scalar,) if scalar is not None else ()
    if _is_sequence(node):
        return tuple(s for item in node.value for s in _scalars(src, item))
    return ()


def _image(src: _Source, node: yaml.Node | None) -> Scalar | None:
    return src.scalar(_get(node, "name")) if _is_mapping(node) else src.scalar(node)


def _services(src: _Source, node: yaml.Node | None) -> tuple[Scalar, ...]:
    if not _is_sequence(node):
        return ()
    return tuple(s for s in (_image(src, item) for item in node.value) if s is not None)


def _includes(src: _Source, node: yaml.Node | None) -> tuple[Include, ...]:
    items = node.value if _is_sequence(node) else [node] if node is not None else []
    found: list[Include] = []
    for item in items:
        if _is_scalar(item):
            scalar = src.scalar(item)
            if scalar is not None and scalar.text.strip():
                kind = "remote" if scalar.text.strip().startswith(("http://", "https://")) else "local"
                found.append(Include(kind, scalar))
            continue
        for kind in ("local", "remote", "project", "template", "component"):
            value = src.scalar(_get(item, kind))
            if value is not None:
                ref = src.scalar(_get(item, "ref"))
                found.append(Include(kind, value, ref, _get(item, "integrity") is not None))
                break
    return tuple(found)


def _rules(src: _Source, node: yaml.MappingNode) -> tuple[Scalar, ...]:
    found: list[Scalar] = []
    rules = _get(node, "rules")
    if _is_sequence(rules):
        for rule in rules.value:
            cond = src.scalar(_get(rule, "if"))
            if cond is not None:
                found.append(cond)
    for key in ("only", "except"):
        value = _get(node, key)
        found += _scalars(src, _get(value, "refs") if _is_mapping(value) else value)
    return tuple(found)


def _job(src: _Source, key: yaml.ScalarNode, node: yaml.MappingNode) -> GitlabJob:
    scripts: list[Scalar] = []
    for script_key in SCRIPT_KEYS:
        scripts += _scalars(src, _get(node, script_key))
    return GitlabJob(
        name=str(key.value),
        location=src.location(key),
        image=_image(src, _get(node, "image")),
        services=_services(src, _get(node, "services")),
        scripts=tuple(scripts),
        rules=_rules(src, node),
        variables=src.entries(_get(node, "variables")),
        id_tokens=src.entries(_get(node, "id_tokens")),
        secrets=src.entries(_get(node, "secrets")),
    )


def parse_gitlab(path: str, text: str) -> GitlabFile | Skipped:
    root = compose(path, text)
    if isinstance(root, Skipped):
        return root
    if not _is_mapping(root):
        return _skip(path, f"not a GitLab CI file: the document is {_kind(root)}, expected a mapping", root)
    src = _Source(path, text.removeprefix("\ufeff"))
    default = _get(root, "default")
    jobs: list[GitlabJob] = []
    problems: list[Skipped] = []
    for key, value in _items(root):
        if key.value in RESERVED:
            continue
        if _is_mapping(value):
            jobs.append(_job(src, key, value))
        elif not str(key.value).startswith("."):
            problems.append(_skip(path, f"job {key.value} is {_kind(value)}, not a mapping", value))
    default_scripts = tuple(
        s for k in ("before_script", "after_script") for s in _scalars(src, _get(default, k))
    )
    default_scripts += tuple(
        s for k in ("before_script", "after_script") for s in _scalars(src, _get(root, k))
    )
    if default_scripts:
        jobs.append(GitlabJob("(default)", src.location(root), None, (), default_scripts, (), (), (), ()))
    return GitlabFile(
        path=path,
        includes=_includes(src, _get(root, "include")),
        image=_image(src, _get(default, "image")) or _image(src, _get(root, "image")),
        services=_services(src, _get(default, "services")) + _services(src, _get(root, "services")),
        variables=src.entries(_get(root, "variables")),
        jobs=tuple(jobs),
        problems=tuple(problems),
    )


def local_path(include: Include) -> str | None:
    """The repository path of a local include (GitLab paths start at the root, with or without `/`)."""
    if include.kind != "local":
        return None
    text = include.value.text.strip()
    if not text or "*" in text or "$" in text or ".." in text.split("/"):
        return None
    return text.lstrip("/")


def load(path: str, read: Callable[[str], str | None]) -> tuple[list[GitlabFile], list[Skipped]]:
    """The file at `path` and every local include it reaches (each once, at most MAX_INCLUDES)."""
    files: list[GitlabFile] = []
    skipped: list[Skipped] = []
    queue, seen = [path], {path}
    while queue and len(seen) <= MAX_INCLUDES:
        current = queue.pop(0)
        text = read(current)
        if text is None:
            skipped.append(Skipped(current, "included file not found or not readable as text"))
            continue
        parsed = parse_gitlab(current, text)
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
            continue
        files.append(parsed)
        skipped += parsed.problems
        for include in parsed.includes:
            target = local_path(include)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return files, skipped
