"""Evaluators of the release stage."""

from __future__ import annotations

from secloop.core.rules import Rule
from secloop.practices.base import Evaluator

RULES: tuple[Rule, ...] = ()

EVALUATORS: dict[str, Evaluator] = {}
