"""The typed shape every CI platform is parsed into, and the seam a platform implements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from secloop.core.model import Skipped


class Platform(StrEnum):
    GITHUB = "github-actions"
    GITLAB = "gitlab-ci"
    AZURE = "azure-pipelines"
    BITBUCKET = "bitbucket-pipelines"
    CIRCLECI = "circleci"
    JENKINS = "jenkins"


class StepKind(StrEnum):
    RUN = "run"  # a shell command
    USES = "uses"  # an action, task, orb command or pipe
    INCLUDE = "include"  # an included template or file
    IMAGE = "image"  # a container image a job runs in


@dataclass(frozen=True, slots=True)
class CiFile:
    path: str
    platform: Platform


@dataclass(frozen=True, slots=True)
class Step:
    path: str
    line: int
    kind: StepKind
    text: str
    job: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def haystack(self) -> str:
        """The text a tool search looks at: the step itself plus its parameters."""
        return " ".join([self.text, *(f"{k}: {v}" for k, v in self.params)])


@dataclass(frozen=True, slots=True)
class Triggers:
    pull_request: bool = False
    push_main: bool = False
    push_other: bool = False
    schedule: bool = False
    known: bool = True  # False when the triggers live outside the file (a Jenkins job's configuration)
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.known:
            text = "triggers are configured outside the file"
        else:
            parts = []
            if self.pull_request:
                parts.append("pull requests")
            if self.push_main and self.push_other:
                parts.append("pushes to every branch")
            elif self.push_main:
                parts.append("pushes to the main branch")
            elif self.push_other:
                parts.append("pushes to branches other than main")
            if self.schedule:
                parts.append("a schedule")
            text = "runs on " + ", ".join(parts) if parts else "runs on neither pull requests nor pushes"
        return text + "".join(f" ({note})" for note in self.notes)


@dataclass(frozen=True, slots=True)
class Pipeline:
    file: CiFile
    triggers: Triggers
    steps: tuple[Step, ...]
    fragment: bool = False  # an included template: its triggers come from the file that includes it


@dataclass(frozen=True, slots=True)
class CiConfig:
    pipelines: tuple[Pipeline, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def files(self) -> tuple[CiFile, ...]:
        return tuple(p.file for p in self.pipelines)

    def steps(self) -> Iterator[Step]:
        for pipeline in self.pipelines:
            yield from pipeline.steps

    def search(self, pattern: re.Pattern[str], kinds: tuple[StepKind, ...] = tuple(StepKind)) -> list[Step]:
        return [s for s in self.steps() if s.kind in kinds and pattern.search(s.haystack)]


@dataclass(frozen=True, slots=True)
class Hook:
    """One hook of a pre-commit configuration."""

    path: str
    line: int
    repo: str
    id: str
    entry: str = ""
    args: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def haystack(self) -> str:
        return " ".join([self.repo, self.id, self.entry, *self.args])


@dataclass(frozen=True, slots=True)
class PreCommit:
    path: str | None = None
    hooks: tuple[Hook, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def search(self, pattern: re.Pattern[str]) -> list[Hook]:
        return [h for h in self.hooks if pattern.search(h.haystack)]


class PlatformParser(Protocol):
    """What one platform module provides: its name, which paths are its files, and a parser."""

    platform: Platform
    paths: re.Pattern[str]

    def parse(self, ci_file: CiFile, text: str, skipped: list[Skipped]) -> Pipeline | None: ...
