"""Rules as data: every rule's examples, its references, and the condition language."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from secloop.core.enums import Severity, Stage
from secloop.threatmodel.engine import analyse
from secloop.threatmodel.examples import example_model, target_key
from secloop.threatmodel.facts import Facts
from secloop.threatmodel.loader import parse_model
from secloop.threatmodel.rulebook import (
    RuleFileError,
    ThreatRule,
    compile_condition,
    load_rulebook,
    parse_rulebook,
)
from secloop.threatmodel.rules import MODEL_STALE, MODEL_THREAT, RULES
from tests.threatmodel.conftest import TODAY

RULEBOOK = load_rulebook()
ASVS = Path("/work/shared/data/asvs/asvs-5.0.0-flat.json")
if not ASVS.is_file():  # CI lays shared/ beside the clone
    ASVS = Path(__file__).resolve().parents[3] / "shared" / "data" / "asvs" / "asvs-5.0.0-flat.json"

# The rule set, by id. A rule added or removed must be added or removed here too (and in the catalog).
RULE_IDS = (
    "TM-DOS-BUSINESS-AUTOMATION",
    "TM-DOS-EXPENSIVE-OPERATIONS",
    "TM-DOS-EXTERNAL-QUOTA",
    "TM-DOS-FLOW-FLOODING",
    "TM-DOS-GRAPHQL-COST",
    "TM-DOS-LOCKOUT-ABUSE",
    "TM-DOS-NO-TIMEOUTS",
    "TM-DOS-REDOS",
    "TM-DOS-REQUEST-SIZE",
    "TM-DOS-SINGLE-INSTANCE",
    "TM-DOS-STORE-FLOODING",
    "TM-DOS-STORE-NO-BACKUP",
    "TM-DOS-TENANT-QUOTA",
    "TM-DOS-UNBOUNDED-LISTS",
    "TM-DOS-UPLOAD-LIMITS",
    "TM-DOS-WEBSOCKET-FLOOD",
    "TM-DOS-XML-EXPANSION",
    "TM-EOP-ADMIN-EXPOSED",
    "TM-EOP-BROAD-OAUTH-SCOPES",
    "TM-EOP-CLIENT-SIDE-AUTHZ",
    "TM-EOP-CROSS-TENANT",
    "TM-EOP-DATABASE-OVER-PRIVILEGED",
    "TM-EOP-DEBUG-CONSOLE",
    "TM-EOP-DIRECT-STORE-ACCESS",
    "TM-EOP-FLAT-NETWORK",
    "TM-EOP-IDOR",
    "TM-EOP-NO-AUTHORIZATION",
    "TM-EOP-NO-REAUTHENTICATION",
    "TM-EOP-OAUTH-REDIRECT-URI",
    "TM-EOP-OVER-PRIVILEGED",
    "TM-EOP-PERSISTENT-RUNNER",
    "TM-EOP-REQUEST-SMUGGLING",
    "TM-EOP-RUNS-AS-ROOT",
    "TM-EOP-SECRETS-NEAR-UNTRUSTED-CODE",
    "TM-EOP-SECRETS-STORE-BROAD-ACCESS",
    "TM-EOP-UNSANDBOXED-UNTRUSTED-CODE",
    "TM-EOP-UPLOAD-EXECUTION",
    "TM-INFO-ACCOUNT-ENUMERATION",
    "TM-INFO-API-DOCS-EXPOSED",
    "TM-INFO-CLEARTEXT-SENSITIVE-FLOW",
    "TM-INFO-CLIENT-STORAGE",
    "TM-INFO-DEBUG-ENABLED",
    "TM-INFO-DIRECTORY-LISTING",
    "TM-INFO-ERROR-DETAILS",
    "TM-INFO-GRAPHQL-INTROSPECTION",
    "TM-INFO-KEYS-BESIDE-DATA",
    "TM-INFO-LEGACY-TLS",
    "TM-INFO-NO-HSTS",
    "TM-INFO-OVERSHARING-API",
    "TM-INFO-PII-IN-LOGS",
    "TM-INFO-PUBLIC-STORE",
    "TM-INFO-SECRETS-IN-CODE",
    "TM-INFO-SECRETS-IN-ENVIRONMENT",
    "TM-INFO-SECURITY-HEADERS",
    "TM-INFO-SENSITIVE-CACHED",
    "TM-INFO-SENSITIVE-TO-THIRD-PARTY",
    "TM-INFO-SOURCE-METADATA",
    "TM-INFO-SSRF",
    "TM-INFO-STORE-REACHABLE",
    "TM-INFO-STORE-UNENCRYPTED",
    "TM-INFO-TRACE-ENABLED",
    "TM-INFO-VERSION-DISCLOSURE",
    "TM-INFO-WEAK-CRYPTO",
    "TM-LINDDUN-DETECTING-ENUMERATION",
    "TM-LINDDUN-DETECTING-SENSITIVE-SERVICE",
    "TM-LINDDUN-DISCLOSURE-CLEARTEXT",
    "TM-LINDDUN-DISCLOSURE-EXCESSIVE",
    "TM-LINDDUN-DISCLOSURE-PII-CACHED",
    "TM-LINDDUN-DISCLOSURE-PII-STORE",
    "TM-LINDDUN-DISCLOSURE-SPECIAL-CATEGORY",
    "TM-LINDDUN-DISCLOSURE-SPECIAL-STORE",
    "TM-LINDDUN-IDENTIFYING-STORE",
    "TM-LINDDUN-IDENTIFYING-URL",
    "TM-LINDDUN-LINKING-THIRD-PARTY",
    "TM-LINDDUN-LINKING-TRACKERS",
    "TM-LINDDUN-LINKING-WAREHOUSE",
    "TM-LINDDUN-NON-COMPLIANCE-BACKUPS",
    "TM-LINDDUN-NON-COMPLIANCE-ERASURE",
    "TM-LINDDUN-NON-COMPLIANCE-RETENTION",
    "TM-LINDDUN-NON-REPUDIATION-AUDIT",
    "TM-LINDDUN-UNAWARENESS-COLLECTION",
    "TM-LINDDUN-UNAWARENESS-NO-ACCESS",
    "TM-LINDDUN-UNAWARENESS-TRACKING-CONSENT",
    "TM-REPUDIATION-ADMIN-NOT-AUDITED",
    "TM-REPUDIATION-ANONYMOUS-CHANGE",
    "TM-REPUDIATION-CLOCK-DRIFT",
    "TM-REPUDIATION-EXTERNAL-CALL-UNLOGGED",
    "TM-REPUDIATION-LOCAL-LOGS",
    "TM-REPUDIATION-LOG-INJECTION",
    "TM-REPUDIATION-LOG-RETENTION",
    "TM-REPUDIATION-MUTABLE-LOGS",
    "TM-REPUDIATION-NO-AUDIT-TRAIL",
    "TM-REPUDIATION-NO-LOGGING",
    "TM-REPUDIATION-NO-MONITORING",
    "TM-REPUDIATION-PIPELINE-NOT-AUDITED",
    "TM-REPUDIATION-SHARED-ACCOUNT",
    "TM-REPUDIATION-UNSIGNED-TRANSACTION",
    "TM-SPOOF-ADMIN-NO-MFA",
    "TM-SPOOF-BRUTE-FORCE",
    "TM-SPOOF-CERT-VALIDATION-OFF",
    "TM-SPOOF-CLEARTEXT-CREDENTIALS",
    "TM-SPOOF-CSRF",
    "TM-SPOOF-DEFAULT-CREDENTIALS",
    "TM-SPOOF-EMAIL-ONLY-LOGIN",
    "TM-SPOOF-FLOW-CALLER",
    "TM-SPOOF-INTERNAL-SERVICE",
    "TM-SPOOF-LOGOUT-NOT-ENFORCED",
    "TM-SPOOF-LONG-LIVED-CREDENTIALS",
    "TM-SPOOF-OAUTH-NO-PKCE",
    "TM-SPOOF-OPEN-REDIRECT",
    "TM-SPOOF-PASSWORD-ONLY",
    "TM-SPOOF-PROCESS-NO-AUTHN",
    "TM-SPOOF-RESET-TOKEN",
    "TM-SPOOF-SESSION-COOKIE",
    "TM-SPOOF-SESSION-FIXATION",
    "TM-SPOOF-SESSION-NO-TIMEOUT",
    "TM-SPOOF-SILENT-ACCOUNT-CHANGES",
    "TM-SPOOF-STATIC-KEY-FLOW",
    "TM-SPOOF-TOKEN-NO-EXPIRY",
    "TM-SPOOF-TOKEN-NOT-VALIDATED",
    "TM-SPOOF-UNVERIFIED-CALLBACK",
    "TM-SPOOF-WEAK-PASSWORD-STORAGE",
    "TM-SPOOF-WEBSOCKET-ORIGIN",
    "TM-TAMPER-CACHE-POISONING",
    "TM-TAMPER-COMMAND-INJECTION",
    "TM-TAMPER-CORS-WILDCARD",
    "TM-TAMPER-DEPLOY-NO-APPROVAL",
    "TM-TAMPER-DESERIALIZATION",
    "TM-TAMPER-DYNAMIC-CODE",
    "TM-TAMPER-EMAIL-INJECTION",
    "TM-TAMPER-FILE-UPLOAD",
    "TM-TAMPER-FLOW-IN-TRANSIT",
    "TM-TAMPER-IMAGE-UNSCANNED",
    "TM-TAMPER-INPUT-VALIDATION",
    "TM-TAMPER-LDAP-INJECTION",
    "TM-TAMPER-MASS-ASSIGNMENT",
    "TM-TAMPER-NO-FOUR-EYES",
    "TM-TAMPER-NO-SBOM",
    "TM-TAMPER-NOSQL-INJECTION",
    "TM-TAMPER-PATH-TRAVERSAL",
    "TM-TAMPER-PROTOTYPE-POLLUTION",
    "TM-TAMPER-RACE-CONDITION",
    "TM-TAMPER-REPLAY",
    "TM-TAMPER-SOURCE-UNPROTECTED",
    "TM-TAMPER-SQL-INJECTION",
    "TM-TAMPER-STORE-NO-ACCESS-CONTROL",
    "TM-TAMPER-TEMPLATE-INJECTION",
    "TM-TAMPER-THIRD-PARTY-SCRIPTS",
    "TM-TAMPER-UNPINNED-DEPENDENCIES",
    "TM-TAMPER-UNSIGNED-ARTIFACTS",
    "TM-TAMPER-UNSIGNED-MESSAGES",
    "TM-TAMPER-UNVERIFIED-DEPLOY",
    "TM-TAMPER-VULNERABLE-DEPENDENCIES",
    "TM-TAMPER-XSS",
    "TM-TAMPER-XXE",
)

# Availability and CI/CD rules for which no ASVS requirement fits (they still name CWE/CAPEC or none).
WITHOUT_ASVS = {
    "TM-DOS-SINGLE-INSTANCE",
    "TM-DOS-STORE-NO-BACKUP",
    "TM-EOP-PERSISTENT-RUNNER",
    "TM-EOP-RUNS-AS-ROOT",
    "TM-LINDDUN-UNAWARENESS-COLLECTION",
    "TM-LINDDUN-UNAWARENESS-NO-ACCESS",
    "TM-TAMPER-DEPLOY-NO-APPROVAL",
    "TM-TAMPER-SOURCE-UNPROTECTED",
    "TM-TAMPER-UNSIGNED-ARTIFACTS",
    "TM-TAMPER-UNVERIFIED-DEPLOY",
}


def test_the_rule_set() -> None:
    assert tuple(r.id for r in RULEBOOK.rules) == RULE_IDS
    categories = Counter(r.spec.category.value for r in RULEBOOK.rules)
    assert categories == {
        "spoofing": 26,
        "tampering": 32,
        "repudiation": 14,
        "information-disclosure": 26,
        "denial-of-service": 17,
        "elevation-of-privilege": 20,
        "linking": 3,
        "identifying": 2,
        "non-repudiation": 1,
        "detecting": 2,
        "data-disclosure": 6,
        "unawareness": 3,
        "non-compliance": 3,
    }
    assert {r.spec.applies_to for r in RULEBOOK.rules if r.linddun} == {"flow", "data-store"}


def test_every_asvs_id_exists_in_asvs_5() -> None:
    known = {r["req_id"] for r in json.loads(ASVS.read_text("utf-8"))["requirements"]}
    named = {a for r in RULEBOOK.rules for a in r.spec.asvs}
    assert len(named) == 134
    assert sorted(f"V{a}" for a in named if f"V{a}" not in known) == []
    assert {r.id for r in RULEBOOK.rules if not r.spec.asvs} == WITHOUT_ASVS


def test_references_are_plausible_ids() -> None:
    for r in RULEBOOK.rules:
        assert all(0 < n < 1500 for n in r.spec.cwe), r.id
        assert all(0 < n < 800 for n in r.spec.capec), r.id
        assert (
            r.spec.cwe
            or r.spec.capec
            or r.spec.asvs
            or r.id
            in {
                "TM-DOS-SINGLE-INSTANCE",
                "TM-DOS-STORE-NO-BACKUP",
                "TM-LINDDUN-UNAWARENESS-COLLECTION",
            }
        ), r.id


def _run_example(rule: ThreatRule, name: str) -> str | None:
    example = getattr(rule.spec, name)
    text = yaml.safe_dump(example_model(rule, example), sort_keys=False)
    loaded = parse_model(text, f"{rule.id}.{name}.yaml", RULEBOOK.ids)
    threats = analyse(loaded, RULEBOOK, today=TODAY).threats
    hits = [t for t in threats if t.rule_id == rule.id and t.target_key == target_key(rule)]
    assert len(hits) <= 1
    return hits[0].status.value if hits else None


@pytest.mark.parametrize("rule", RULEBOOK.rules, ids=lambda r: r.id)
def test_positive_example_raises_the_threat_open(rule: ThreatRule) -> None:
    assert _run_example(rule, "positive") == "open"


@pytest.mark.parametrize("rule", RULEBOOK.rules, ids=lambda r: r.id)
def test_negative_example_does_not_raise_it(rule: ThreatRule) -> None:
    assert _run_example(rule, "negative") is None


@pytest.mark.parametrize("rule", [r for r in RULEBOOK.rules if r.mitigated], ids=lambda r: r.id)
def test_mitigated_example_shows_the_threat_mitigated_by_the_model(rule: ThreatRule) -> None:
    assert _run_example(rule, "mitigated") == "mitigated"


def test_rules_with_mitigation_conditions_and_tests() -> None:
    assert {r.id: r.spec.test for r in RULEBOOK.rules if r.spec.test} == {
        "TM-DOS-BUSINESS-AUTOMATION": "rate-limit-429",
        "TM-DOS-EXPENSIVE-OPERATIONS": "rate-limit-429",
        "TM-DOS-FLOW-FLOODING": "rate-limit-429",
        "TM-DOS-NO-TIMEOUTS": "repo-client-timeouts",
        "TM-DOS-REQUEST-SIZE": "body-limit-413",
        "TM-DOS-SINGLE-INSTANCE": "repo-redundancy",
        "TM-DOS-STORE-NO-BACKUP": "iac-store-backups",
        "TM-DOS-TENANT-QUOTA": "rate-limit-429",
        "TM-DOS-UPLOAD-LIMITS": "body-limit-413",
        "TM-DOS-XML-EXPANSION": "xxe-probe",
        "TM-EOP-ADMIN-EXPOSED": "admin-denied",
        "TM-EOP-DEBUG-CONSOLE": "no-debug-endpoints",
        "TM-EOP-DIRECT-STORE-ACCESS": "store-unreachable",
        "TM-EOP-FLAT-NETWORK": "repo-network-policy",
        "TM-EOP-IDOR": "idor-cross-user",
        "TM-EOP-NO-REAUTHENTICATION": "reauth-required",
        "TM-EOP-RUNS-AS-ROOT": "repo-non-root-container",
        "TM-EOP-SECRETS-NEAR-UNTRUSTED-CODE": "repo-no-pr-target-checkout",
        "TM-INFO-ACCOUNT-ENUMERATION": "account-enumeration",
        "TM-INFO-API-DOCS-EXPOSED": "no-api-docs",
        "TM-INFO-CLEARTEXT-SENSITIVE-FLOW": "tls-required",
        "TM-INFO-DEBUG-ENABLED": "no-debug-endpoints",
        "TM-INFO-DIRECTORY-LISTING": "no-directory-listing",
        "TM-INFO-ERROR-DETAILS": "no-error-details",
        "TM-INFO-GRAPHQL-INTROSPECTION": "graphql-introspection",
        "TM-INFO-LEGACY-TLS": "tls-required",
        "TM-INFO-NO-HSTS": "hsts",
        "TM-INFO-OVERSHARING-API": "no-sensitive-fields",
        "TM-INFO-PII-IN-LOGS": "repo-log-redaction",
        "TM-INFO-SECRETS-IN-CODE": "repo-no-secrets",
        "TM-INFO-SECURITY-HEADERS": "security-headers",
        "TM-INFO-SENSITIVE-CACHED": "no-store",
        "TM-INFO-SOURCE-METADATA": "no-source-metadata",
        "TM-INFO-SSRF": "ssrf-probe",
        "TM-INFO-STORE-REACHABLE": "store-unreachable",
        "TM-INFO-STORE-UNENCRYPTED": "iac-store-encrypted",
        "TM-INFO-TRACE-ENABLED": "trace-disabled",
        "TM-INFO-VERSION-DISCLOSURE": "no-version-disclosure",
        "TM-LINDDUN-DETECTING-ENUMERATION": "account-enumeration",
        "TM-LINDDUN-DISCLOSURE-CLEARTEXT": "tls-required",
        "TM-LINDDUN-DISCLOSURE-PII-CACHED": "no-store",
        "TM-LINDDUN-IDENTIFYING-URL": "get-refused",
        "TM-REPUDIATION-ADMIN-NOT-AUDITED": "repo-security-logging",
        "TM-REPUDIATION-ANONYMOUS-CHANGE": "auth-401",
        "TM-REPUDIATION-CLOCK-DRIFT": "repo-utc-logs",
        "TM-REPUDIATION-LOCAL-LOGS": "repo-central-logs",
        "TM-REPUDIATION-LOG-INJECTION": "repo-structured-logging",
        "TM-REPUDIATION-LOG-RETENTION": "repo-log-retention",
        "TM-REPUDIATION-MUTABLE-LOGS": "repo-immutable-logs",
        "TM-REPUDIATION-NO-LOGGING": "repo-security-logging",
        "TM-REPUDIATION-NO-MONITORING": "repo-alerting",
        "TM-REPUDIATION-UNSIGNED-TRANSACTION": "unsigned-rejected",
        "TM-SPOOF-ADMIN-NO-MFA": "mfa-required",
        "TM-SPOOF-BRUTE-FORCE": "rate-limit-429",
        "TM-SPOOF-CLEARTEXT-CREDENTIALS": "tls-required",
        "TM-SPOOF-CSRF": "csrf-origin",
        "TM-SPOOF-FLOW-CALLER": "auth-401",
        "TM-SPOOF-INTERNAL-SERVICE": "auth-401",
        "TM-SPOOF-LOGOUT-NOT-ENFORCED": "logout-invalidates",
        "TM-SPOOF-OPEN-REDIRECT": "open-redirect",
        "TM-SPOOF-PASSWORD-ONLY": "mfa-required",
        "TM-SPOOF-PROCESS-NO-AUTHN": "auth-401",
        "TM-SPOOF-SESSION-COOKIE": "cookie-flags",
        "TM-SPOOF-SESSION-FIXATION": "session-fixation",
        "TM-SPOOF-SESSION-NO-TIMEOUT": "session-idle-timeout",
        "TM-SPOOF-STATIC-KEY-FLOW": "repo-no-static-keys",
        "TM-SPOOF-TOKEN-NO-EXPIRY": "token-expiry",
        "TM-SPOOF-TOKEN-NOT-VALIDATED": "forged-token-401",
        "TM-SPOOF-UNVERIFIED-CALLBACK": "unsigned-rejected",
        "TM-TAMPER-COMMAND-INJECTION": "injection-probe",
        "TM-TAMPER-CORS-WILDCARD": "cors-origin",
        "TM-TAMPER-DEPLOY-NO-APPROVAL": "repo-deploy-environments",
        "TM-TAMPER-DYNAMIC-CODE": "injection-probe",
        "TM-TAMPER-FLOW-IN-TRANSIT": "tls-required",
        "TM-TAMPER-IMAGE-UNSCANNED": "repo-image-scanning",
        "TM-TAMPER-INPUT-VALIDATION": "injection-probe",
        "TM-TAMPER-LDAP-INJECTION": "injection-probe",
        "TM-TAMPER-MASS-ASSIGNMENT": "mass-assignment-probe",
        "TM-TAMPER-NO-FOUR-EYES": "repo-four-eyes",
        "TM-TAMPER-NO-SBOM": "repo-sbom",
        "TM-TAMPER-NOSQL-INJECTION": "injection-probe",
        "TM-TAMPER-PATH-TRAVERSAL": "traversal-probe",
        "TM-TAMPER-RACE-CONDITION": "race-limit",
        "TM-TAMPER-REPLAY": "replay-rejected",
        "TM-TAMPER-SOURCE-UNPROTECTED": "repo-code-owners",
        "TM-TAMPER-SQL-INJECTION": "injection-probe",
        "TM-TAMPER-STORE-NO-ACCESS-CONTROL": "iac-store-private",
        "TM-TAMPER-TEMPLATE-INJECTION": "template-probe",
        "TM-TAMPER-UNPINNED-DEPENDENCIES": "repo-pinned-dependencies",
        "TM-TAMPER-UNSIGNED-ARTIFACTS": "repo-artifact-signing",
        "TM-TAMPER-UNVERIFIED-DEPLOY": "repo-signature-verification",
        "TM-TAMPER-VULNERABLE-DEPENDENCIES": "repo-dependency-scanning",
        "TM-TAMPER-XSS": "xss-reflection",
        "TM-TAMPER-XXE": "xxe-probe",
    }
    assert sorted(r.id for r in RULEBOOK.rules if r.mitigated) == [
        "TM-DOS-FLOW-FLOODING",
        "TM-EOP-ADMIN-EXPOSED",
        "TM-INFO-STORE-REACHABLE",
        "TM-SPOOF-FLOW-CALLER",
        "TM-TAMPER-FLOW-IN-TRANSIT",
    ]


def test_linddun_rules_skip_elements_without_personal_data() -> None:
    rule = RULEBOOK.get("TM-LINDDUN-DISCLOSURE-CLEARTEXT")
    example = rule.spec.positive.model_copy(update={"data": []})
    text = yaml.safe_dump(example_model(rule, example))
    threats = analyse(parse_model(text, "x.yaml", RULEBOOK.ids), RULEBOOK, today=TODAY).threats
    assert [t.rule_id for t in threats if t.rule_id and t.rule_id.startswith("TM-LINDDUN")] == []
    assert rule.matches(Facts({"carries_pii": True, "encrypted": False}))


def test_core_rules_are_declared_once_from_the_data() -> None:
    assert len(RULES) == len(RULE_IDS) + 2
    assert RULES[:2] == (MODEL_THREAT, MODEL_STALE)
    assert (MODEL_THREAT.id, MODEL_STALE.id) == ("TM-MODEL-THREAT", "TM-MODEL-STALE")
    sql = next(r for r in RULES if r.id == "TM-TAMPER-SQL-INJECTION")
    assert (sql.stage, sql.severity, sql.cwe, sql.asvs) == (Stage.PLAN, Severity.HIGH, (89,), ("1.2.4",))
    assert sql.tags == ("threat-model", "stride", "tampering", "CAPEC-66")
    assert sql.references == ("CWE-89", "ASVS-1.2.4")
    assert sql.description.endswith("(STRIDE: tampering)")


# -- the condition language -------------------------------------------------------------------------

VOCAB = frozenset({"a", "n", "max_classification", "source.kind"})


@pytest.mark.parametrize(
    ("cond", "facts", "expected"),
    [
        ({"fact": "a", "equals": True}, {"a": True}, True),
        ({"fact": "a", "equals": True}, {"a": None}, False),
        ({"fact": "a", "not_equals": True}, {"a": None}, True),
        ({"fact": "a", "not_equals": True}, {"a": True}, False),
        ({"fact": "a", "in": ["x", "y"]}, {"a": "y"}, True),
        ({"fact": "a", "in": ["x", "y"]}, {}, False),
        ({"fact": "a", "not_in": ["x"]}, {}, True),
        ({"fact": "a", "is_set": True}, {"a": False}, True),
        ({"fact": "a", "is_set": False}, {"a": None}, True),
        ({"fact": "a", "contains_any": ["sql"]}, {"a": "postgresql 16"}, True),
        ({"fact": "a", "contains_any": ["sql"]}, {"a": None}, False),
        (
            {"fact": "max_classification", "at_least": "confidential"},
            {"max_classification": "restricted"},
            True,
        ),
        (
            {"fact": "max_classification", "at_least": "confidential"},
            {"max_classification": "internal"},
            False,
        ),
        ({"fact": "max_classification", "at_least": "confidential"}, {}, False),
        ({"fact": "max_classification", "below": "confidential"}, {"max_classification": "public"}, True),
        ({"fact": "max_classification", "below": "confidential"}, {}, False),
        ({"all": [{"fact": "a", "equals": 1}, {"fact": "n", "equals": 2}]}, {"a": 1, "n": 2}, True),
        ({"all": [{"fact": "a", "equals": 1}, {"fact": "n", "equals": 2}]}, {"a": 1, "n": 3}, False),
        ({"any": [{"fact": "a", "equals": 1}, {"fact": "n", "equals": 2}]}, {"a": 0, "n": 2}, True),
        ({"not": {"fact": "a", "equals": 1}}, {"a": 1}, False),
    ],
)
def test_condition_semantics(cond: dict[str, object], facts: dict[str, object], expected: bool) -> None:
    assert compile_condition(cond, VOCAB, "t")(Facts(facts)) is expected


def test_endpoint_facts_are_read_from_the_flow_ends() -> None:
    pred = compile_condition({"fact": "source.kind", "equals": "actor"}, VOCAB, "t")
    assert pred(Facts({}, source={"kind": "actor"})) is True
    assert pred(Facts({"source.kind": "actor"})) is False


@pytest.mark.parametrize(
    ("cond", "message"),
    [
        ({"fact": "nope", "equals": 1}, "t: unknown fact 'nope' for this kind of element"),
        ({"fact": "a", "matches": "x"}, "t: a fact test needs exactly one of equals, not_equals, in, not_in, "
         "at_least, below, is_set, contains_any"),
        ({"fact": "a", "in": []}, "t: 'in' needs a non-empty list"),
        ({"fact": "a", "at_least": "high"},
         "t: 'at_least' needs an ordered fact and one of its levels, got 'high'"),
        ({"fact": "max_classification", "at_least": "secret"},
         "t: 'at_least' needs an ordered fact and one of its levels, got 'secret'"),
        ({"all": []}, "t: 'all' needs a non-empty list of conditions"),
        ({"every": [1]}, "t: expected all, any, not or a 'fact' test, got ['every']"),
        ([], "t: a condition must be a non-empty table"),
    ],
)  # fmt: skip
def test_malformed_conditions_fail_when_rules_load(cond: object, message: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        compile_condition(cond, VOCAB, "t")
    assert str(caught.value) == message


RULE = """
[[rule]]
id = "TM-X-ONE"
title = "t"
category = "{category}"
applies_to = "{applies_to}"
severity = "low"
description = "d"
mitigations = ["m"]
when = {{ fact = "kind", equals = "process" }}
positive = {{}}
negative = {{}}
{extra}
"""


@pytest.mark.parametrize(
    ("category", "applies_to", "extra", "message"),
    [
        ("linking", "process", "",
         "rules/x.toml: rule[0] TM-X-ONE: LINDDUN rules apply to flows and data stores only"),
        ("spoofing", "process", 'mitigated_when = { fact = "kind", equals = "x" }',
         "rules/x.toml: rule[0] TM-X-ONE: 'mitigated_when' and a 'mitigated' example go together"),
    ],
)  # fmt: skip
def test_rule_files_are_validated(category: str, applies_to: str, extra: str, message: str) -> None:
    text = RULE.format(category=category, applies_to=applies_to, extra=extra)
    with pytest.raises(RuleFileError) as caught:
        parse_rulebook({"x.toml": text})
    assert str(caught.value) == message


def test_rule_files_reject_unknown_keys_and_duplicate_ids() -> None:
    text = RULE.format(category="spoofing", applies_to="process", extra="")
    with pytest.raises(RuleFileError) as unknown:
        parse_rulebook({"x.toml": text + 'colour = "red"\n'})
    assert "rules/x.toml: rule[0] TM-X-ONE: 1 validation error for RuleSpec\ncolour" in str(unknown.value)
    with pytest.raises(RuleFileError) as twice:
        parse_rulebook({"x.toml": text, "y.toml": text})
    assert str(twice.value) == "rule ids declared twice: TM-X-ONE"
    with pytest.raises(RuleFileError) as broken:
        parse_rulebook({"x.toml": "[[rule]\n"})
    assert str(broken.value).startswith("rules/x.toml: ")
