"""pdm.lock: `[[package]]` entries; direct dependencies come from the sibling pyproject.toml."""

from __future__ import annotations

from secloop.deps.model import PYPI, ParseResult
from secloop.deps.parsers import toml_lines
from secloop.deps.parsers.interface import LockfileParser, Reader, basename
from secloop.deps.parsers.poetry_lock import python_toml_packages


class PdmLockParser(LockfileParser):
    name = "pdm.lock"
    ecosystem = PYPI

    def matches(self, path: str) -> bool:
        return basename(path) == "pdm.lock"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = toml_lines.load(text)
        except toml_lines.TomlProblem as exc:
            return self.malformed(path, str(exc), exc.line)
        return python_toml_packages(self.name, path, text, data, toml_lines.pyproject_direct(path, read))


PARSER = PdmLockParser()
