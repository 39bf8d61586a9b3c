"""Every rule's examples: each true-positive template is reported by its rule, each false positive is not."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from secloop.core.enums import Stage
from secloop.core.rules import RuleRegistry
from secloop.secrets.rules import RULES, SPECS
from secloop.secrets.spec import RULE_ID, SecretRule, expand
from tests.secrets.conftest import engine

RULE_FILES = Path(__file__).parents[2] / "src" / "secloop" / "secrets" / "rules"
FAMILIES = {
    "ai", "atlassian", "aws", "azure", "cloud", "connections", "devtools", "gcp", "generic", "github",
    "gitlab", "hashicorp", "keys", "messaging", "payments", "registries", "saas", "slack", "social",
}  # fmt: skip

TP = [(spec, i, t) for spec in SPECS for i, t in enumerate(spec.tp)]
FP = [(spec, i, t) for spec in SPECS for i, t in enumerate(spec.fp)]


def _hits(spec: SecretRule, text: str) -> list[str]:
    return [h.secret for h in engine().scan(text.encode()) if h.rule.id == spec.id]


@pytest.mark.parametrize(("spec", "index", "template"), TP, ids=[f"{s.id}-tp{i}" for s, i, _ in TP])
def test_true_positive_example_is_reported(spec: SecretRule, index: int, template: str) -> None:
    text = expand(template, random.Random(f"{spec.id}/tp/{index}"))
    secrets = _hits(spec, text)
    assert len(secrets) == 1, f"{spec.id} should report exactly one secret in {text!r}"
    assert secrets[0] in text
    assert re.search(spec.regex, text) is not None


@pytest.mark.parametrize(("spec", "index", "template"), FP, ids=[f"{s.id}-fp{i}" for s, i, _ in FP])
def test_false_positive_example_is_not_reported(spec: SecretRule, index: int, template: str) -> None:
    text = expand(template, random.Random(f"{spec.id}/fp/{index}"))
    assert _hits(spec, text) == []


def test_on_disk_templates_do_not_match_their_rule() -> None:
    for spec in SPECS:
        for template in (*spec.tp, *spec.fp):
            assert _hits(spec, template) == [], f"{spec.id}: the template itself matches on disk"


def test_at_least_one_example_of_each_kind_and_unique_upper_kebab_ids() -> None:
    assert all(spec.tp and spec.fp for spec in SPECS)
    assert all(RULE_ID.match(spec.id) and spec.id.startswith("SECRET-") for spec in SPECS)
    assert len({spec.id for spec in SPECS}) == len(SPECS) >= 220


def test_every_family_has_a_rule_file_with_a_header_explaining_the_examples() -> None:
    assert {spec.family for spec in SPECS} == FAMILIES
    for path in RULE_FILES.glob("*.toml"):
        head = path.read_text("utf-8").split("[family]")[0]
        assert head.startswith("# "), path.name
        assert "{{}}" in head and "template" in head, path.name


def test_families_the_issue_names_are_covered() -> None:
    ids = {spec.id for spec in SPECS}
    for expected in (
        "SECRET-AWS-ACCESS-KEY",
        "SECRET-AWS-SECRET-KEY",
        "SECRET-GCP-API-KEY",
        "SECRET-AZURE-STORAGE-ACCOUNT-KEY",
        "SECRET-GITHUB-PAT-CLASSIC",
        "SECRET-GITHUB-PAT-FINE-GRAINED",
        "SECRET-GITHUB-APP-INSTALLATION-TOKEN",
        "SECRET-GITHUB-OAUTH-TOKEN",
        "SECRET-GITLAB-PAT",
        "SECRET-SLACK-BOT-TOKEN",
        "SECRET-STRIPE-SECRET-KEY",
        "SECRET-TWILIO-API-KEY",
        "SECRET-SENDGRID-API-KEY",
        "SECRET-MAILGUN-API-KEY",
        "SECRET-NPM-TOKEN",
        "SECRET-PYPI-TOKEN",
        "SECRET-DOCKERHUB-PAT",
        "SECRET-ATLASSIAN-API-TOKEN",
        "SECRET-SHOPIFY-ACCESS-TOKEN",
        "SECRET-OPENAI-API-KEY",
        "SECRET-ANTHROPIC-API-KEY",
        "SECRET-HEROKU-API-KEY",
        "SECRET-DIGITALOCEAN-PAT",
        "SECRET-DATABRICKS-TOKEN",
        "SECRET-VAULT-SERVICE-TOKEN",
        "SECRET-TERRAFORM-CLOUD-TOKEN",
        "SECRET-PRIVATE-KEY-RSA",
        "SECRET-PRIVATE-KEY-EC",
        "SECRET-PRIVATE-KEY-OPENSSH",
        "SECRET-PRIVATE-KEY-PGP",
        "SECRET-PRIVATE-KEY-PKCS8",
        "SECRET-JWT",
        "SECRET-URL-PASSWORD",
        "SECRET-GENERIC-PASSWORD",
        "SECRET-GENERIC-API-KEY",
    ):
        assert expected in ids


def test_registry_view_of_the_rules() -> None:
    registry = RuleRegistry(RULES)
    rule = registry.get("SECRET-GITHUB-PAT-CLASSIC")
    assert rule.stage is Stage.CODE
    assert rule.cwe == (798,)
    assert rule.cicd_sec == (6,)
    assert rule.tags == ("secrets", "github")
    assert rule.help_uri.endswith("#secret-github-pat-classic")
    assert rule.fix.startswith("Revoke the token")
    assert len(registry) == len(SPECS)


def test_every_rule_compiles_with_hyperscan() -> None:
    plan = engine().plan
    assert set(plan) == {spec.id for spec in SPECS}
    assert engine().fallback == ()
    assert plan["SECRET-GITHUB-PAT-CLASSIC"] == "hyperscan"
    assert plan["SECRET-AZURE-AD-CLIENT-SECRET"] == "hyperscan"
