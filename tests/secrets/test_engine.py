"""The matcher: Hyperscan prefilter, `re` confirmation, noise controls, decoding and the on-disk cache."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import quote

import pytest

from secloop.core.enums import Confidence, Severity
from secloop.secrets.engine import Engine, hyperscan_expression
from secloop.secrets.noise import placeholder_reason, shannon_entropy
from secloop.secrets.spec import SecretRule
from tests.secrets.conftest import engine, token


def _ids(text: str | bytes) -> list[tuple[str, str | None]]:
    data = text.encode() if isinstance(text, str) else text
    return [(h.rule.id, h.encoding) for h in engine().scan(data)]


def test_a_token_is_confirmed_with_its_exact_byte_span() -> None:
    secret = token("github")
    data = f'x = 1\nGITHUB_TOKEN = "{secret}"\n'.encode()
    [hit] = engine().scan(data)
    assert hit.rule.id == "SECRET-GITHUB-PAT-CLASSIC"
    assert hit.secret == secret
    assert data[hit.start : hit.end] == secret.encode()
    assert hit.encoding is None


def test_placeholders_and_low_entropy_values_are_not_secrets() -> None:
    assert _ids("token = gh" + "p_" + "x" * 36) == []
    assert _ids("DB_PASS" + 'WORD = "changeme123"') == []
    assert _ids("pass" + 'word = "${DB_PASSWORD}"') == []
    assert _ids("pass" + 'word = "{{ vault_password }}"') == []
    assert placeholder_reason("AKIAIOSFODNN7EXAMPLE") == "contains 'example'"
    assert placeholder_reason("aaaaaaab12") == "a character repeated six times or more"
    assert placeholder_reason("Zq81kLm0") is None
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("abab") == 1.0


def test_a_generic_rule_yields_to_the_provider_rule_on_the_same_secret() -> None:
    assert _ids(f'api_key = "{token("stripe")}"') == [("SECRET-STRIPE-SECRET-KEY", None)]


def test_generic_rules_report_one_finding_per_span() -> None:
    # client_secret matches both the API-key and the token rule; the first declared one speaks.
    assert _ids("client_secret: Zq81kLm0Pw7xYv3RtB6nQe2Uj9HcF4sD") == [("SECRET-GENERIC-API-KEY", None)]


def test_base64_hex_and_percent_encoded_secrets_are_decoded() -> None:
    inner = f'token = "{token("github")}"'.encode()
    b64 = base64.b64encode(inner)
    assert _ids(b"data: " + b64 + b"\n") == [("SECRET-GITHUB-PAT-CLASSIC", "base64")]
    assert _ids(b"blob " + binascii.hexlify(inner) + b"\n") == [("SECRET-GITHUB-PAT-CLASSIC", "hex")]
    encoded = quote(f'{{"key": "{token("stripe")}"}}', safe="").encode()
    assert _ids(b"https://example.invalid/cb?state=" + encoded) == [("SECRET-STRIPE-SECRET-KEY", "percent")]


def test_decoding_goes_two_levels_deep_and_no_further() -> None:
    inner = f'token = "{token("github")}"'.encode()
    two = base64.b64encode(binascii.hexlify(inner))
    assert _ids(b"x = " + two) == [("SECRET-GITHUB-PAT-CLASSIC", "base64>hex")]
    three = base64.b64encode(base64.b64encode(binascii.hexlify(inner)))
    assert _ids(b"x = " + three) == []


def test_the_location_of_a_decoded_secret_is_the_encoded_run() -> None:
    inner = f'token = "{token("github")}"'.encode()
    data = b"line one\nconfig: " + base64.b64encode(inner) + b"\n"
    [hit] = engine().scan(data)
    assert data[hit.start : hit.end] == base64.b64encode(inner)


def test_multi_line_private_keys_are_matched_from_header_to_footer() -> None:
    body = "\n".join(base64.b64encode(bytes(range(i, i + 48))).decode() for i in range(0, 144, 48))
    header, footer = "-----BEGIN OPENSSH " + "PRIVATE KEY-----", "-----END OPENSSH " + "PRIVATE KEY-----"
    data = f"# deploy key\n{header}\n{body}\n{footer}\n".encode()
    [hit] = engine().scan(data)
    assert hit.rule.id == "SECRET-PRIVATE-KEY-OPENSSH"
    assert hit.secret.startswith(header) and hit.secret.endswith(footer)


def test_hyperscan_expressions_drop_group_names_and_turn_leading_flags_into_flags() -> None:
    expression, flags = hyperscan_expression(r"(?i)key=(?P<secret>[a-z]{4,9999})")
    assert expression == b"key=([a-z]{4,})"
    assert flags & 1  # HS_FLAG_CASELESS


def _rule(ident: str, regex: str, keywords: tuple[str, ...] = ()) -> SecretRule:
    return SecretRule(
        id=ident,
        title=ident.title(),
        description="test rule",
        family="test",
        regex=regex,
        keywords=keywords,
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        fix="rotate it",
        tp=(),
        fp=(),
        noise=False,
    )


def test_the_database_is_cached_on_disk_and_reloaded(tmp_path: Path) -> None:
    rules = [_rule("SECRET-TEST-ONE", r"\b(?P<secret>tok_[a-z0-9]{12})\b")]
    first = Engine(rules, tmp_path)
    cached = sorted(p.suffix for p in tmp_path.iterdir())
    assert cached == [".hsdb", ".json"]
    second = Engine(rules, tmp_path)
    assert second.plan == first.plan == {"SECRET-TEST-ONE": "hyperscan"}
    assert [h.secret for h in second.scan(b"a tok_abc123def456 b")] == ["tok_abc123def456"]


def test_a_pattern_hyperscan_rejects_runs_with_re_on_its_keyword(tmp_path: Path) -> None:
    rules = [
        _rule("SECRET-TEST-ASCII", r"tok(?a:en)_(?P<secret>\w{20})", ("token_",)),
        _rule("SECRET-TEST-BACKREF", r"""(?P<q>["'])(?P<secret>k_[0-9]{10})(?P=q)""", ("k_",)),
    ]
    eng = Engine(rules, tmp_path)
    assert eng.plan == {"SECRET-TEST-ASCII": "re", "SECRET-TEST-BACKREF": "hyperscan-prefilter"}
    assert eng.fallback == ("SECRET-TEST-ASCII",)
    assert [h.secret for h in eng.scan(b"x TOKEN_" + b"q" * 20)] == []
    assert [h.secret for h in eng.scan(b"x token_abcdefghij0123456789")] == ["abcdefghij0123456789"]
    assert [h.secret for h in eng.scan(b"""v = 'k_0123456789' + "k_1111111111'""")] == ["k_0123456789"]


def test_an_engine_needs_rules(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one rule"):
        Engine([], tmp_path)
