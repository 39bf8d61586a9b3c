"""The built-in secret rules, read once from `rules/*.toml`, and the registry's view of them."""

from __future__ import annotations

from functools import cache
from importlib import resources

from secloop.core.enums import Stage
from secloop.core.rules import Rule
from secloop.secrets.spec import SecretRule, load_rule_files

CICD_SEC_CREDENTIAL_HYGIENE = 6


@cache
def builtin_rules() -> tuple[SecretRule, ...]:
    folder = resources.files("secloop.secrets").joinpath("rules")
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name)
    texts = ((f"secloop/secrets/rules/{e.name}", e.read_text("utf-8")) for e in entries)
    return load_rule_files(texts, check=False)


def as_rule(spec: SecretRule) -> Rule:
    return Rule(
        id=spec.id,
        title=spec.title,
        stage=Stage.CODE,
        severity=spec.severity,
        confidence=spec.confidence,
        description=spec.description,
        fix=spec.fix,
        cwe=spec.cwe,
        cicd_sec=(CICD_SEC_CREDENTIAL_HYGIENE,),
        tags=("secrets", spec.family),
    )


SPECS: tuple[SecretRule, ...] = builtin_rules()
RULES: tuple[Rule, ...] = tuple(as_rule(spec) for spec in SPECS)
