"""What CI and pre-commit actually run, one indirection deep and more: `make test` and `npm run ci`
are followed into the Makefile target and the package.json script they start.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from secloop.sources.ci.interface import CiConfig, PreCommit, Step, StepKind
from secloop.sources.repo import Repo

_MAX_DEPTH = 4
_MAKEFILES = ("Makefile", "GNUmakefile", "makefile")
_TARGET = re.compile(r"^([A-Za-z0-9_.\-/ $()]+?)\s*:(?![=:])\s*([^=#]*?)\s*(?:#.*)?$")
_MAKE_CALL = re.compile(r"(?:^|[;&|]\s*|\s)(?:\$\(MAKE\)|\$\{MAKE\}|make)((?:\s+[^\s;&|]+)*)")
_SCRIPT_CALL = re.compile(
    r"\b(?:npm\s+(?:run(?:-script)?\s+)?|yarn\s+(?:run\s+)?|pnpm\s+(?:run\s+)?|bun\s+run\s+)([\w:.\-]+)"
)


@dataclass(frozen=True, slots=True)
class Use:
    """A place where a tool runs: a CI step or pre-commit hook, possibly through make or a script."""

    where: str
    text: str
    source: str  # "ci" or "pre-commit"

    def __str__(self) -> str:
        return f"{self.where}: {self.text[:100]}"


@dataclass(frozen=True, slots=True)
class _Recipe:
    line: int
    prerequisites: tuple[str, ...]
    commands: tuple[tuple[int, str], ...]


def _makefile(text: str) -> tuple[dict[str, _Recipe], str | None]:
    """Targets of a Makefile with their prerequisites and recipe lines; and the default target."""
    targets: dict[str, _Recipe] = {}
    default: str | None = None
    current: list[str] = []
    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        if raw.startswith("\t"):
            for name in current:
                old = targets[name]
                targets[name] = _Recipe(old.line, old.prerequisites, (*old.commands, (number, raw.strip())))
            continue
        match = _TARGET.match(raw)
        if not match or raw.startswith((" ", "#")):
            if raw.strip() and not raw.startswith("#"):
                current = []
            continue
        names = [t for t in match.group(1).split() if t]
        prereqs = tuple(p for p in match.group(2).split() if not p.startswith("$("))
        current = [n for n in names if not n.startswith(".")]
        for name in current:
            targets.setdefault(name, _Recipe(number, prereqs, ()))
            if "$" not in name:
                default = default or name
    return targets, default


def _scripts(text: str) -> dict[str, tuple[int, str]]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return {}
    found: dict[str, tuple[int, str]] = {}
    for name, command in scripts.items():
        if isinstance(command, str):
            match = re.search(rf"\"{re.escape(name)}\"\s*:\s*\"", text)
            found[name] = (text.count("\n", 0, match.start()) + 1 if match else 1, command)
    return found


class _Expander:
    def __init__(self, repo: Repo) -> None:
        self.make_path = next((m for m in _MAKEFILES if repo.exists(m)), None)
        make_text = repo.read_text(self.make_path) if self.make_path else None
        self.targets, self.default = _makefile(make_text) if make_text else ({}, None)
        package = repo.read_text("package.json") if repo.exists("package.json") else None
        self.scripts = _scripts(package) if package else {}

    def expand(self, command: str, depth: int = 0) -> list[tuple[str, str]]:
        """(command, via) pairs reached from `command`: the command itself, then what it calls."""
        found: list[tuple[str, str]] = []
        if depth >= _MAX_DEPTH:
            return found
        for match in _MAKE_CALL.finditer(command):
            if self.make_path is None:
                break
            try:
                words = shlex.split(match.group(1))
            except ValueError:
                words = match.group(1).split()
            goals = [w for w in words if not w.startswith("-") and "=" not in w] or [self.default or ""]
            for goal in goals:
                found.extend(self._target(goal, depth + 1))
        for match in _SCRIPT_CALL.finditer(command):
            name = match.group(1)
            if name in self.scripts:
                line, body = self.scripts[name]
                found.append((body, f"package.json:{line}"))
                found.extend(self.expand(body, depth + 1))
        return found

    def _target(self, goal: str, depth: int) -> list[tuple[str, str]]:
        recipe = self.targets.get(goal)
        if recipe is None or depth >= _MAX_DEPTH:
            return []
        found: list[tuple[str, str]] = []
        for prereq in recipe.prerequisites:
            found.extend(self._target(prereq, depth + 1))
        for line, text in recipe.commands:
            found.append((text, f"{self.make_path}:{line}"))
            found.extend(self.expand(text, depth))
        return found


def tool_uses(repo: Repo, config: CiConfig, hooks: PreCommit, pattern: re.Pattern[str]) -> list[Use]:
    """Every place CI or pre-commit runs something matching `pattern`, with make/npm indirection."""
    expander = _Expander(repo)
    uses: list[Use] = []
    for step in config.steps():
        uses.extend(_step_uses(step, expander, pattern))
    for hook in hooks.search(pattern):
        uses.append(Use(hook.where, f"pre-commit hook {hook.id} ({hook.repo or 'local'})", "pre-commit"))
    for hook in hooks.hooks:
        if hook.entry and not pattern.search(hook.haystack):
            uses += [
                Use(f"{hook.where} via {via}", text, "pre-commit")
                for text, via in expander.expand(hook.entry)
                if pattern.search(text)
            ]
    return uses


def _step_uses(step: Step, expander: _Expander, pattern: re.Pattern[str]) -> list[Use]:
    found = [Use(step.where, step.haystack, "ci")] if pattern.search(step.haystack) else []
    if step.kind is StepKind.RUN:
        for text, via in expander.expand(step.text):
            if pattern.search(text):
                found.append(Use(f"{step.where} via {via}", text, "ci"))
    return found
