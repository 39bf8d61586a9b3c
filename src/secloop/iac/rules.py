"""The rules of the IaC engine, for the registry (one entry per rule id)."""

from __future__ import annotations

from secloop.core.rules import Rule
from secloop.iac.checkov import CHECKOV
from secloop.iac.policies import POLICIES

_POLICY_RULES: tuple[Rule, ...] = tuple({p.rule.id: p.rule for p in POLICIES}.values())
RULES: tuple[Rule, ...] = (*_POLICY_RULES, CHECKOV)
#: every rule the engine's practices may raise (for catalog entries); `IAC-CHECKOV` comes only from
#: `secloop scan iac --with-checkov`
RAISED: tuple[str, ...] = tuple(rule.id for rule in _POLICY_RULES)
