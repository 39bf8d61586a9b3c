"""CI configuration of a repository: which pipelines exist, when they run, and what they run.

Read-only and best effort. Every platform (one module each, listed in PLATFORMS) is parsed into the
same typed shape: a `Pipeline` with its `Triggers` and its `Step`s (shell commands, referenced
actions/tasks/orbs/pipes, included templates, container images), each with the file and line that
declares it. A malformed file is a `Skipped`, never an exception. The pre-commit configuration is read
here too, because evaluators ask the same question of it: does something run tool X before code lands?
"""

from __future__ import annotations

import weakref

from secloop.core.model import Skipped
from secloop.sources.ci import azure, bitbucket, circleci, github, gitlab, jenkins, precommit
from secloop.sources.ci.interface import (
    CiConfig,
    CiFile,
    Hook,
    Pipeline,
    Platform,
    PlatformParser,
    PreCommit,
    Step,
    StepKind,
    Triggers,
)
from secloop.sources.ci.nodes import MAIN_BRANCHES
from secloop.sources.repo import Repo

__all__ = [
    "MAIN_BRANCHES",
    "PLATFORMS",
    "CiConfig",
    "CiFile",
    "Hook",
    "Pipeline",
    "Platform",
    "PreCommit",
    "Step",
    "StepKind",
    "Triggers",
    "discover",
    "load_ci",
    "load_precommit",
]

PLATFORMS: tuple[PlatformParser, ...] = (github, gitlab, azure, bitbucket, circleci, jenkins)

_CI: weakref.WeakKeyDictionary[Repo, CiConfig] = weakref.WeakKeyDictionary()
_HOOKS: weakref.WeakKeyDictionary[Repo, PreCommit] = weakref.WeakKeyDictionary()


def discover(repo: Repo) -> tuple[CiFile, ...]:
    """Every CI configuration file of the repository, with its platform, in path order."""
    found: list[CiFile] = []
    for rel in repo.files():
        parser = next((p for p in PLATFORMS if p.paths.search(rel)), None)
        if parser is not None:
            found.append(CiFile(rel, parser.platform))
    return tuple(found)


def load_ci(repo: Repo) -> CiConfig:
    """Every pipeline of the repository, parsed once per Repo and shared by the evaluators."""
    cached = _CI.get(repo)
    if cached is not None:
        return cached
    parsers = {p.platform: p for p in PLATFORMS}
    pipelines: list[Pipeline] = []
    skipped: list[Skipped] = []
    for ci_file in discover(repo):
        text = repo.read_text(ci_file.path)
        if text is None:
            skipped.append(Skipped(ci_file.path, "not readable as text (binary or too large)"))
            continue
        pipeline = parsers[ci_file.platform].parse(ci_file, text, skipped)
        if pipeline is not None:
            pipelines.append(pipeline)
    result = CiConfig(tuple(pipelines), tuple(skipped))
    _CI[repo] = result
    return result


def load_precommit(repo: Repo) -> PreCommit:
    """The pre-commit hooks of the repository; an empty PreCommit when it has no configuration."""
    cached = _HOOKS.get(repo)
    if cached is not None:
        return cached
    result = PreCommit()
    for rel in precommit.NAMES:
        text = repo.read_text(rel) if repo.exists(rel) else None
        if text is not None:
            result = precommit.parse(rel, text)
            break
    _HOOKS[repo] = result
    return result
