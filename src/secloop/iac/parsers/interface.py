"""The format seam: one module per IaC format, each an `IacParser`, listed once in `parsers/__init__.py`.

A parser reads one file in isolation and never raises on malformed input: what it cannot read is a
`Skipped` with the place. Cross-file work (Terraform variables, locals, references) happens later.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from secloop.core.model import Skipped
from secloop.iac.model import Framework, ParsedFile
from secloop.sources.yaml_lines import YamlMap


class IacParser(ABC):
    #: the format's name, as shown to the user
    name: str
    framework: Framework

    @abstractmethod
    def matches(self, path: str, text: str | None = None) -> bool:
        """Whether ``path`` is a file of this format. Called first without the text (a cheap name
        test); parsers whose format is decided by content return True for candidates then and decide
        again with the text."""

    @abstractmethod
    def parse(self, path: str, text: str) -> ParsedFile:
        """Every resource of the file, with lines; never raises on malformed input."""

    def malformed(
        self, path: str, why: str, line: int | None = None, column: int | None = None
    ) -> ParsedFile:
        reason = f"{self.name}: {why}; its resources were not checked"
        return ParsedFile(path, self.framework, (), (Skipped(path, reason, line, column),))


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def from_json(value: Any) -> Any:
    """Parsed JSON as the values parsers produce, without lines (for JSON the YAML reader refuses)."""
    if isinstance(value, dict):
        out = YamlMap(1)
        for key, item in value.items():
            out[key] = from_json(item)
        return out
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value
