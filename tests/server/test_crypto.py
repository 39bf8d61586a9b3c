"""The server's secret handling: argon2 parameters, token shapes, HMAC signing, scopes, rate limits."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from argon2 import PasswordHasher

from secloop.server import crypto
from secloop.server.crypto import Scope, Signer, github_signature_valid, grants, new_token, token_prefix
from secloop.server.ratelimit import RateLimiter
from tests.server.conftest import make_secret


def test_production_hashing_is_argon2id_with_rfc_9106_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the conftest swapped in a cheap hasher; this puts the real one back
    real = crypto._HASHER
    assert isinstance(real, PasswordHasher)
    assert (real.time_cost, real.memory_cost, real.parallelism) == (3, 65536, 4)
    stored = real.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_tokens_have_a_lookup_prefix_and_never_repeat() -> None:
    first, second = new_token(), new_token()
    assert first.value.startswith(f"slp_{first.prefix}_") and len(first.prefix) == 12
    assert token_prefix(first.value) == first.prefix
    assert first.value != second.value and first.prefix != second.prefix


@pytest.mark.parametrize(
    "value",
    [
        "",
        "slp_",
        "slp_0123456789ab",
        "slp_0123456789ab_",
        "slp_zzzzzzzzzzzz_abc",
        "xyz_0123456789ab_abc",
        "slp_" + "a" * 200,
    ],
)
def test_values_not_shaped_like_a_token_have_no_prefix(value: str) -> None:
    assert token_prefix(value) is None


def test_the_signer_detects_any_change_and_keys_each_purpose_apart() -> None:
    signer = Signer(make_secret())
    signed = signer.sign("session", "abc")
    assert signer.unsign("session", signed) == "abc"
    assert signer.unsign("login-csrf", signed) is None
    assert signer.unsign("session", "abd" + signed[3:]) is None
    assert signer.unsign("session", signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None
    assert Signer(make_secret()).unsign("session", signed) is None
    assert signer.unsign("session", "no-dot") is None


def test_github_signatures_are_hmac_sha256_of_the_raw_body() -> None:
    secret, body = make_secret(), b'{"zen": "Keep it logically awesome."}'
    good = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert github_signature_valid(secret, body, good)
    assert not github_signature_valid(secret, body, good.upper().replace("SHA256", "sha256"))
    assert not github_signature_valid(secret, body + b"\n", good)
    assert not github_signature_valid(secret, body, None)
    assert not github_signature_valid(secret, body, good.replace("sha256=", "sha1="))


def test_each_scope_grants_those_below_it() -> None:
    assert grants((Scope.ADMIN,), Scope.READ) and grants((Scope.WRITE,), Scope.WRITE)
    assert not grants((Scope.READ,), Scope.WRITE) and not grants((Scope.WRITE,), Scope.ADMIN)
    assert not grants((), Scope.READ)


def test_the_rate_limiter_counts_per_key_and_window() -> None:
    now = [100.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [None, None, 60, None]
    now[0] = 130.5
    assert limiter.hit("a") == 30
    now[0] = 160.0
    assert limiter.hit("a") is None
