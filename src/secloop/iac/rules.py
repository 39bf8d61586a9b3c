"""The rules of the IaC engine, for the registry (one entry per rule id)."""

from __future__ import annotations

from secloop.core.rules import Rule
from secloop.iac.policies import POLICIES

RULES: tuple[Rule, ...] = tuple({p.rule.id: p.rule for p in POLICIES}.values())
#: every rule the engine may raise (for catalog entries)
RAISED: tuple[str, ...] = tuple(rule.id for rule in RULES)
