"""The explicit parser registry: adding an IaC format is one module and one line here.

Order matters for content-sniffed formats: the first parser that matches a file's name and text
reads it.
"""

from __future__ import annotations

from secloop.iac.parsers import cloudformation, compose, docker, kubernetes, terraform
from secloop.iac.parsers.interface import IacParser

PARSERS: tuple[IacParser, ...] = (
    terraform.PARSER,
    docker.PARSER,
    compose.PARSER,
    cloudformation.PARSER,
    kubernetes.PARSER,
)


def candidates(path: str) -> list[IacParser]:
    """Parsers that may read ``path``, judged by its name only."""
    return [p for p in PARSERS if p.matches(path)]


def parser_for(path: str, text: str) -> IacParser | None:
    return next((p for p in candidates(path) if p.matches(path, text)), None)
