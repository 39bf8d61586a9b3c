"""Rules of the pipeline engine: each is declared once, on its audit, and collected here."""

from __future__ import annotations

from secloop.core.rules import Rule
from secloop.pipeline.audits import AUDITS

RULES: tuple[Rule, ...] = tuple(audit.rule for audit in AUDITS)
