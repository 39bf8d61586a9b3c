"""The renderer seam: one module per output format, each a pure function of the final assessment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from secloop.core.model import Assessment
from secloop.core.rules import RuleRegistry
from secloop.practices.catalog import Practice


@dataclass(frozen=True)
class RenderInput:
    assessment: Assessment
    rules: RuleRegistry
    catalog: tuple[Practice, ...]


class Renderer(Protocol):
    def __call__(self, data: RenderInput) -> str: ...
