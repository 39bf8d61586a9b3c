"""bitbucket-pipelines.yml as its steps, each knowing which pipeline section (default, branches,
pull-requests, tags, custom) runs it, with exact locations."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from secloop.core.model import Location, Skipped
from secloop.pipeline.workflow import (
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

SECTIONS = ("default", "branches", "pull-requests", "tags", "bookmarks", "custom")


@dataclass(frozen=True, slots=True)
class BitbucketStep:
    section: str  # e.g. "pull-requests" or "branches"
    trigger: str  # the branch/pattern key, or "" for default
    name: str | None
    location: Location
    image: Scalar | None
    scripts: tuple[Scalar, ...]
    pipes: tuple[Scalar, ...]
    deployment: Scalar | None
    oidc: bool


@dataclass(frozen=True, slots=True)
class BitbucketFile:
    path: str
    image: Scalar | None
    services: tuple[Scalar, ...]
    steps: tuple[BitbucketStep, ...]


def _image(src: _Source, node: yaml.Node | None) -> Scalar | None:
    return src.scalar(_get(node, "name")) if _is_mapping(node) else src.scalar(node)


def _script(src: _Source, node: yaml.Node | None) -> tuple[tuple[Scalar, ...], tuple[Scalar, ...]]:
    scripts: list[Scalar] = []
    pipes: list[Scalar] = []
    if _is_sequence(node):
        for item in node.value:
            if _is_scalar(item):
                scalar = src.scalar(item)
                if scalar is not None:
                    scripts.append(scalar)
            elif _is_mapping(item):
                pipe = src.scalar(_get(item, "pipe"))
                if pipe is not None:
                    pipes.append(pipe)
    return tuple(scripts), tuple(pipes)


def _steps(
    src: _Source, node: yaml.Node | None, section: str, trigger: str, depth: int = 0
) -> list[BitbucketStep]:
    """Steps of a step list, looking into `parallel:` and `stage:` groups."""
    found: list[BitbucketStep] = []
    if depth > 4:
        return found
    items = node.value if _is_sequence(node) else []
    if _is_mapping(node):  # `parallel: {steps: [...]}`
        items = list(getattr(_get(node, "steps"), "value", []) or [])
    for item in items:
        step = _get(item, "step")
        if _is_mapping(step):
            scripts, pipes = _script(src, _get(step, "script"))
            after, after_pipes = _script(src, _get(step, "after-script"))
            oidc = src.text_of(_get(step, "oidc"))
            found.append(
                BitbucketStep(
                    section=section,
                    trigger=trigger,
                    name=src.text_of(_get(step, "name")),
                    location=src.location(step),
                    image=_image(src, _get(step, "image")),
                    scripts=scripts + after,
                    pipes=pipes + after_pipes,
                    deployment=src.scalar(_get(step, "deployment")),
                    oidc=(oidc or "").strip().lower() == "true",
                )
            )
        for group in ("parallel", "stage"):
            inner = _get(item, group)
            if inner is not None:
                target = _get(inner, "steps") if group == "stage" else inner
                found += _steps(src, target, section, trigger, depth + 1)
    return found


def parse_bitbucket(path: str, text: str) -> BitbucketFile | Skipped:
    root = compose(path, text)
    if isinstance(root, Skipped):
        return root
    if not _is_mapping(root):
        return _skip(path, f"not a Bitbucket Pipelines file: the document is {_kind(root)}", root)
    src = _Source(path, text.removeprefix("\ufeff"))
    pipelines = _get(root, "pipelines")
    if not _is_mapping(pipelines):
        return _skip(
            path, f"not a Bitbucket Pipelines file: `pipelines:` is {_kind(pipelines)}", pipelines or root
        )
    steps: list[BitbucketStep] = []
    for key, value in _items(pipelines):
        section = str(key.value)
        if section == "default":
            steps += _steps(src, value, section, "")
        elif section in SECTIONS:
            for trigger, inner in _items(value):
                steps += _steps(src, inner, section, str(trigger.value))
    services = tuple(
        s
        for _, service in _items(_get(_get(root, "definitions"), "services"))
        if (s := _image(src, _get(service, "image"))) is not None
    )
    return BitbucketFile(path, _image(src, _get(root, "image")), services, tuple(steps))
