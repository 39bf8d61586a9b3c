"""The format seam: one module per IaC format, each an `IacParser`, listed once in `parsers/__init__.py`.

A parser reads one file in isolation and never raises on malformed input: what it cannot read is a
`Skipped` with the place. Cross-file work (Terraform variables, locals, references) happens later.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from secloop.core.model import Skipped
from secloop.iac.model import Framework, ParsedFile


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
