"""Rules of the pipeline engine."""

from __future__ import annotations

from secloop.core.rules import Rule

RULES: tuple[Rule, ...] = ()
