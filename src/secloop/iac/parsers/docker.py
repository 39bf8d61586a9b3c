"""Dockerfiles and Containerfiles, read by a small parser of our own.

Instructions are joined across line continuations (the escape character is `\\` unless a
`# escape=` directive changes it), comment lines inside a continuation are dropped as Docker does,
and BuildKit heredocs (`RUN <<EOF … EOF`) are kept with their instruction. `ARG` and `ENV` values
are substituted into later instructions where known: global `ARG`s (before the first `FROM`) into
`FROM` lines, a stage's own `ARG`/`ENV` into the rest of that stage.
"""

from __future__ import annotations

import re
import shlex

from secloop.iac.model import Framework, Instruction, ParsedFile, Resource
from secloop.iac.parsers.interface import IacParser, basename
from secloop.sources.yaml_lines import YamlMap

_NAME = re.compile(r"^((docker|container)file([.-][^/]*)?|[^/]+\.(docker|container)file)$", re.IGNORECASE)
# Files named like a Dockerfile that are something else: code about Dockerfiles, docs, templates.
_OTHER = re.compile(
    r"\.(py|pyc|md|rst|txt|json|ya?ml|toml|cfg|ini|sh|go|js|ts|rb|rs|java|lock|j2|jinja2?|tpl|tmpl|template)$",
    re.IGNORECASE,
)
_KEYWORDS = frozenset(
    (
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
        "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    )
)  # fmt: skip
_DIRECTIVE = re.compile(r"^#\s*(escape|syntax|check)\s*=\s*(\S+)\s*$", re.IGNORECASE)
_HEREDOC = re.compile(r"<<-?[\"']?(\w+)[\"']?")
_VAR = re.compile(r"\$\{(\w+)(?::([-+])([^}]*))?\}|\$(\w+)")


def substitute(value: str, known: dict[str, str]) -> str:
    """Docker's variable forms: $X, ${X}, ${X:-default}, ${X:+alternative}; unknown ones are kept."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        op, word = match.group(2), match.group(3)
        if op == "-":
            return known.get(name) or word
        if op == "+":
            return word if known.get(name) else ""
        return known.get(name, match.group(0))

    return _VAR.sub(repl, value)


def assignments(args: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="two"`, the legacy `ENV A 1`, and `ARG A` / `ARG A=1`."""
    text = args.strip()
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        words = text.split()
    if not words:
        return []
    if "=" not in words[0]:
        if len(words) == 1:
            return [(words[0], "")]
        return [(words[0], text.split(None, 1)[1].strip().strip("'\""))]
    pairs = []
    for word in words:
        name, _, value = word.partition("=")
        pairs.append((name, value))
    return pairs


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line, instruction text) for every instruction."""
    lines = text.splitlines()
    escape = "\\"
    for raw in lines:
        directive = _DIRECTIVE.match(raw.strip())
        if directive is None:
            break
        if directive.group(1).lower() == "escape":
            escape = directive.group(2)[:1] or "\\"
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start, parts = i + 1, []
        while True:
            current = lines[i].strip()
            if current.endswith(escape) and i + 1 < len(lines):
                parts.append(current[: -len(escape)].rstrip())
                i += 1
                while i < len(lines) and lines[i].strip().startswith("#"):
                    i += 1  # comment lines inside a continuation are not part of it
                if i >= len(lines):
                    break
                continue
            parts.append(current)
            i += 1
            break
        instruction = " ".join(p for p in parts if p)
        heredoc = _HEREDOC.search(instruction)
        if heredoc is not None and instruction.split(None, 1)[0].upper() in ("RUN", "COPY", "ADD"):
            body = []
            while i < len(lines) and lines[i].strip() != heredoc.group(1):
                body.append(lines[i])
                i += 1
            i += 1
            instruction += "\n" + "\n".join(body)
        out.append((start, instruction))
    return out


class DockerfileParser(IacParser):
    name = "Dockerfile"
    framework = Framework.DOCKERFILE

    def matches(self, path: str, text: str | None = None) -> bool:
        name = basename(path)
        return _NAME.match(name) is not None and _OTHER.search(name) is None

    def parse(self, path: str, text: str) -> ParsedFile:
        global_args: dict[str, str] = {}
        stage_vars: dict[str, str] = {}
        stage = -1
        found: list[Instruction] = []
        for line, instruction in logical_lines(text):
            keyword, _, args = instruction.partition(" ")
            keyword = keyword.upper()
            if keyword not in _KEYWORDS:
                return self.malformed(path, f"unknown instruction {keyword[:20]!r}", line, 1)
            args = args.strip()
            if keyword == "FROM":
                stage += 1
                stage_vars = {}
                value = substitute(args, global_args)
            else:
                value = substitute(args, {**global_args, **stage_vars} if stage >= 0 else global_args)
            if keyword in ("ARG", "ENV"):
                for name, default in assignments(value):
                    if keyword == "ENV" or default:
                        (global_args if stage < 0 else stage_vars)[name] = default
                    elif stage >= 0 and name in global_args:  # `ARG NAME` re-imports the global default
                        stage_vars[name] = global_args[name]
            found.append(Instruction(keyword, value, line, stage, args))
        if not any(i.keyword == "FROM" for i in found):
            return self.malformed(path, "no FROM instruction")
        resource = Resource(
            self.framework, "Dockerfile", path, path, found[0].line, YamlMap(1), path, tuple(found)
        )
        return ParsedFile(path, self.framework, (resource,))


PARSER = DockerfileParser()
