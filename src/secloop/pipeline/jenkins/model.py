"""A Jenkinsfile as the facts the audits need: shell steps with their strings, credential bindings,
container images and pull-request conditions, each with its exact line and column.

Groovy is not parsed; comments and string literals are tokenised exactly (so a `//` inside a string
or a quote inside a comment never confuses what follows), the rest is matched by pattern. An
unterminated string or comment makes the file a Skipped with the line where it starts.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from secloop.core.model import Location, Skipped


@dataclass(frozen=True, slots=True)
class Literal:
    """A Groovy string literal: `interpolated` for double-quoted (GString) forms."""

    start: int  # offset of the opening quote
    end: int  # offset after the closing quote
    body_start: int
    text: str
    interpolated: bool


@dataclass(frozen=True, slots=True)
class ShellStep:
    command: str  # sh | bat | powershell | pwsh
    script: Literal


@dataclass(frozen=True, slots=True)
class Jenkinsfile:
    path: str
    text: str
    code: str  # the text with comments blanked out (same offsets)
    literals: tuple[Literal, ...]
    shells: tuple[ShellStep, ...]
    credential_vars: tuple[tuple[str, int], ...]  # (variable, offset of its declaration)
    images: tuple[tuple[str, int], ...]  # (image reference, offset of its literal)
    change_requests: tuple[int, ...]  # offsets of changeRequest() / CHANGE_ID conditions
    _lines: tuple[int, ...] = ()

    def location(self, start: int, end: int | None = None) -> Location:
        line, column = self.position(start)
        if end is None:
            return Location(self.path, line, column)
        last = self.position(end)
        return Location(self.path, line, column, last[0], last[1])

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._lines, offset) - 1
        return index + 1, offset - self._lines[index] + 1


_OPENERS = re.compile(r"'''|\"\"\"|'|\"|//|/\*")
_SHELL = re.compile(r"\b(sh|bat|powershell|pwsh)\b\s*(?:\(\s*)?(?:script\s*:\s*)?(?=['\"])")
_CREDENTIAL_VAR = re.compile(
    r"\b(?:variable|usernameVariable|passwordVariable|keyFileVariable|passphraseVariable|tokenVariable)"
    r"\s*:\s*['\"]([A-Za-z_]\w*)['\"]"
)
_CREDENTIALS_ENV = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*credentials\s*\(")
_IMAGE = re.compile(r"\b(?:image|docker\.image)\s*\(?\s*(?=['\"])")
_CHANGE = re.compile(r"\bchangeRequest\s*\(|\bCHANGE_ID\b")


def _scan(text: str, path: str) -> tuple[str, list[Literal]] | Skipped:
    """Blank comments and collect string literals; an unterminated one is a Skipped."""
    code = list(text)
    literals: list[Literal] = []
    pos = 0
    while True:
        match = _OPENERS.search(text, pos)
        if match is None:
            break
        opener, start = match.group(0), match.start()
        if opener in ("//", "/*"):
            close = "\n" if opener == "//" else "*/"
            end = text.find(close, match.end())
            if end < 0 and opener == "/*":
                return _unterminated(text, path, start, "comment")
            end = len(text) if end < 0 else end + (0 if opener == "//" else 2)
            for i in range(start, end):
                if code[i] != "\n":
                    code[i] = " "
            pos = end
            continue
        end = _closing(text, match.end(), opener)
        if end < 0:
            return _unterminated(text, path, start, "string")
        body = text[match.end() : end]
        literals.append(Literal(start, end + len(opener), match.end(), body, opener.startswith('"')))
        pos = end + len(opener)
    return "".join(code), literals


def _closing(text: str, pos: int, quote: str) -> int:
    while True:
        end = text.find(quote, pos)
        if end < 0:
            return -1
        if len(quote) == 1 and "\n" in text[pos:end]:
            return -1
        backslashes = len(text[pos:end]) - len(text[pos:end].rstrip("\\"))
        if backslashes % 2 == 0:
            return end
        pos = end + 1


def _unterminated(text: str, path: str, start: int, what: str) -> Skipped:
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return Skipped(path, f"not read: unterminated {what}", line, column)


def parse_jenkinsfile(path: str, text: str) -> Jenkinsfile | Skipped:
    text = text.removeprefix("\ufeff")
    scanned = _scan(text, path)
    if isinstance(scanned, Skipped):
        return scanned
    code, literals = scanned
    if "pipeline" not in code and "node" not in code and "stage" not in code:
        return Skipped(path, "not a Jenkinsfile: no pipeline, node or stage block", 1, 1)
    starts = {lit.start: lit for lit in literals}
    shells = []
    for match in _SHELL.finditer(code):
        literal = starts.get(match.end())
        if literal is not None:
            shells.append(ShellStep(match.group(1), literal))
    images = []
    for match in _IMAGE.finditer(code):
        literal = starts.get(match.end())
        if literal is not None:
            images.append((literal.text, literal.start))
    credential_vars = [(m.group(1), m.start(1)) for m in _CREDENTIAL_VAR.finditer(code)]
    for match in _CREDENTIALS_ENV.finditer(code):
        name = match.group(1)
        credential_vars += [
            (name, match.start(1)),
            (f"{name}_USR", match.start(1)),
            (f"{name}_PSW", match.start(1)),
        ]
    lines = [0] + [m.end() for m in re.finditer("\n", text)]
    return Jenkinsfile(
        path=path,
        text=text,
        code=code,
        literals=tuple(literals),
        shells=tuple(shells),
        credential_vars=tuple(sorted(credential_vars, key=lambda item: item[1])),
        images=tuple(images),
        change_requests=tuple(m.start() for m in _CHANGE.finditer(code)),
        _lines=tuple(lines),
    )


def is_jenkinsfile(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    if name.lower().endswith((".md", ".txt", ".rst", ".adoc", ".html")):
        return False
    return name == "Jenkinsfile" or name.startswith("Jenkinsfile.") or name.endswith(".jenkinsfile")
