"""An Azure Pipelines file as what the audits need: every step (wherever stages, jobs, deployment
strategies or step lists put it), the repository resources, the container images and the PR trigger.
"""

from __future__ import annotations

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

SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")
# Inline-script inputs of the script-running tasks (Bash@3, PowerShell@2, AzureCLI@2, …).
INLINE_INPUTS = ("script", "inlineScript", "inline")
_MAX_DEPTH = 12
_ROOT_KEYS = frozenset(
    {"trigger", "pr", "stages", "jobs", "steps", "resources", "pool", "extends", "variables"}
)


@dataclass(frozen=True, slots=True)
class AzureStep:
    job: str  # the enclosing job or deployment name, "" at the top level
    location: Location
    name: str | None
    scripts: tuple[Scalar, ...]  # script text: script/bash/pwsh/powershell, or a task's inline script
    task: Scalar | None
    checkout: Scalar | None
    persist_credentials: Scalar | None
    env: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class AzureRepository:
    alias: str
    location: Location
    name: str | None
    ref: Scalar | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class AzureFile:
    path: str
    steps: tuple[AzureStep, ...]
    repositories: tuple[AzureRepository, ...]
    images: tuple[tuple[str, Scalar], ...]  # (where, image)
    pull_requests: bool  # False only when `pr: none` (or an empty list) turns PR validation off


def _step(src: _Source, node: yaml.Node, job: str) -> AzureStep:
    scripts = [s for key in SCRIPT_KEYS if (s := src.scalar(_get(node, key))) is not None]
    task = src.scalar(_get(node, "task"))
    if task is not None:
        inputs = _get(node, "inputs")
        scripts += [s for key in INLINE_INPUTS if (s := src.scalar(_get(inputs, key))) is not None]
    return AzureStep(
        job=job,
        location=src.location(node),
        name=src.text_of(_get(node, "displayName")) or src.text_of(_get(node, "name")),
        scripts=tuple(scripts),
        task=task,
        checkout=src.scalar(_get(node, "checkout")),
        persist_credentials=src.scalar(_get(node, "persistCredentials")),
        env=src.entries(_get(node, "env")),
    )


def _walk(
    src: _Source,
    node: yaml.Node | None,
    job: str,
    steps: list[AzureStep],
    images: list[tuple[str, Scalar]],
    depth: int = 0,
) -> None:
    if depth > _MAX_DEPTH:
        return
    if _is_sequence(node):
        for item in node.value:
            _walk(src, item, job, steps, images, depth + 1)
        return
    if not _is_mapping(node):
        return
    name = src.text_of(_get(node, "job")) or src.text_of(_get(node, "deployment"))
    if name is not None:
        job = name
        container = _get(node, "container")
        image = src.scalar(_get(container, "image")) if _is_mapping(container) else src.scalar(container)
        # A bare identifier names a `resources.containers` entry, which is checked there.
        if image is not None and any(c in image.text for c in ":/@"):
            images.append((f"job {job!r}", image))
    for key, value in _items(node):
        if key.value == "steps" and _is_sequence(value):
            steps.extend(_step(src, item, job) for item in value.value if _is_mapping(item))
        elif not _is_scalar(value):
            _walk(src, value, job, steps, images, depth + 1)


def _pull_requests(node: yaml.Node | None) -> bool:
    if node is None:
        return True  # PR validation runs by default for GitHub and Bitbucket repositories
    if _is_scalar(node):
        return str(node.value).strip().lower() != "none"
    if _is_sequence(node):
        return bool(node.value)
    return True


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if _is_sequence(node) else []


def parse_azure(path: str, text: str) -> AzureFile | Skipped:
    root = compose(path, text)
    if isinstance(root, Skipped):
        return root
    if not _is_mapping(root) or not any(str(k.value) in _ROOT_KEYS for k, _ in _items(root)):
        return _skip(path, f"not an Azure Pipelines file: the document is {_kind(root)}", root)
    src = _Source(path, text.removeprefix("\ufeff"))
    steps: list[AzureStep] = []
    images: list[tuple[str, Scalar]] = []
    for key, value in _items(root):
        if key.value in ("stages", "jobs", "steps"):
            if key.value == "steps" and _is_sequence(value):
                steps.extend(_step(src, item, "") for item in value.value if _is_mapping(item))
            else:
                _walk(src, value, "", steps, images)
    resources = _get(root, "resources")
    repositories = tuple(
        AzureRepository(
            alias=src.text_of(_get(item, "repository")) or "?",
            location=src.location(item),
            name=src.text_of(_get(item, "name")),
            ref=src.scalar(_get(item, "ref")),
            kind=src.text_of(_get(item, "type")),
        )
        for item in _sequence(_get(resources, "repositories"))
        if _is_mapping(item)
    )
    for item in _sequence(_get(resources, "containers")):
        image = src.scalar(_get(item, "image"))
        if image is not None:
            images.append((f"container resource {src.text_of(_get(item, 'container')) or '?'!r}", image))
    container = _get(root, "container")
    top = src.scalar(_get(container, "image")) if _is_mapping(container) else src.scalar(container)
    if top is not None:
        images.append(("the pipeline", top))
    return AzureFile(path, tuple(steps), repositories, tuple(images), _pull_requests(_get(root, "pr")))
