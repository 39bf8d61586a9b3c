"""Evaluation: Unleash's answers on the same flags (UnleashClient 6.9.1, recorded), and the edge cases."""

from __future__ import annotations

import pytest

from secloop.release.flags.engine import Engine, Evaluation
from secloop.release.flags.model import Payload
from tests.release.flags.conftest import fixture_flags, rollout_flag

# UnleashClient 6.9.1 bootstrapped with `to_unleash(fixture, "default")`: is_enabled("new-checkout",
# {userId: user-N, properties: {country: DE}}) was true exactly for these N in 0..99.
UNLEASH_ROLLOUT_ON = {
    3,
    4,
    5,
    12,
    20,
    24,
    25,
    29,
    31,
    34,
    36,
    37,
    38,
    40,
    44,
    45,
    51,
    57,
    59,
    70,
    76,
    80,
    81,
    85,
    88,
    97,
}
# get_variant("search-ranking", {sessionId: sN}) for N in 0..19
UNLEASH_SEARCH = [
    "hybrid", "control", "control", "control", "hybrid", "hybrid", "vector", "vector", "control", "vector",
    "vector", "hybrid", "control", "control", "vector", "hybrid", "control", "vector", "control", "control",
]  # fmt: skip
# get_variant("cache-ttl", {properties: {tenant: tN}}) for N in 0..19 (None: the flag is off for it)
UNLEASH_CACHE = [
    "long", "long", None, "long", None, None, "long", "long", "long", "long",
    None, None, "long", None, "long", None, "long", "long", "long", "long",
]  # fmt: skip


@pytest.fixture
def engine() -> Engine:
    return Engine(fixture_flags())


def test_gradual_rollout_matches_unleash(engine: Engine) -> None:
    on = {
        n for n in range(100) if engine.is_enabled("new-checkout", {"userId": f"user-{n}", "country": "DE"})
    }
    assert on == UNLEASH_ROLLOUT_ON
    assert not any(
        engine.is_enabled("new-checkout", {"userId": f"user-{n}", "country": "US"}) for n in range(100)
    )


def test_variants_match_unleash(engine: Engine) -> None:
    assert [
        engine.evaluate("search-ranking", {"sessionId": f"s{n}"}).variant for n in range(20)
    ] == UNLEASH_SEARCH
    assert [engine.evaluate("cache-ttl", {"tenant": f"t{n}"}).variant for n in range(20)] == UNLEASH_CACHE


def test_variant_weight_boundaries(engine: Engine) -> None:
    # sessions whose variant target (hash % 1000 + 1, seed 86028157) is exactly 1, 500, 501, 800, 801, 1000
    chosen = {
        s: engine.evaluate("search-ranking", {"sessionId": s}).variant
        for s in ("s118", "s279", "s2192", "s392", "s714", "s737")
    }
    assert chosen == {
        "s118": "control",
        "s279": "control",
        "s2192": "vector",
        "s392": "vector",
        "s714": "hybrid",
        "s737": "hybrid",
    }


def test_variant_override_wins_and_says_so(engine: Engine) -> None:
    result = engine.evaluate("search-ranking", {"userId": "qa-2", "sessionId": "s1"})
    assert result == Evaluation(
        "search-ranking", True, "TARGETING_MATCH", "hybrid", Payload("csv", "bm25,vector"), 0
    )


def test_payload_and_strategy_variants(engine: Engine) -> None:
    result = engine.evaluate("cache-ttl", {"tenant": "t0"})
    assert result == Evaluation("cache-ttl", True, "SPLIT", "long", Payload("number", "300"), 0)
    assert engine.evaluate("cache-ttl", {"tenant": "t2"}) == Evaluation("cache-ttl", False, "DEFAULT")


def test_missing_custom_stickiness_field_is_off(engine: Engine) -> None:
    assert engine.evaluate("cache-ttl", {"userId": "u1"}) == Evaluation("cache-ttl", False, "DEFAULT")
    assert not rollout_flag(100, "tenant").is_enabled("f", {"userId": "u1"})
    assert rollout_flag(100, "tenant").is_enabled("f", {"tenant": "x"})


def test_zero_and_full_rollout() -> None:
    zero, full = rollout_flag(0), rollout_flag(100)
    for n in range(200):
        assert not zero.is_enabled("f", {"userId": str(n)})
        assert full.is_enabled("f", {"userId": str(n)})
    assert full.is_enabled("f", {})  # default stickiness at 100%: on even without any id
    assert not zero.is_enabled("f", {})


def test_bucket_boundaries() -> None:
    # buckets in group "new-checkout" (mmh3): user-29 -> 1, user-24 -> 25, user-67 -> 26, user-119 -> 100
    def on(rollout: int, user: str) -> bool:
        return rollout_flag(rollout, group="new-checkout").is_enabled("f", {"userId": user})

    assert on(1, "user-29") and not on(1, "user-24")
    assert on(25, "user-24") and not on(25, "user-67")
    assert on(26, "user-67")
    assert not on(99, "user-119") and on(100, "user-119")


def test_default_stickiness_falls_back_to_session_then_random(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = rollout_flag(1, group="new-checkout")
    assert engine.is_enabled("f", {"sessionId": "user-29"})
    assert not engine.is_enabled("f", {"userId": "user-24", "sessionId": "user-29"})  # userId first
    monkeypatch.setattr("random.randint", lambda low, high: 1)
    assert engine.is_enabled("f", {})
    monkeypatch.setattr("random.randint", lambda low, high: 2)
    assert not engine.is_enabled("f", {"remoteAddress": "10.0.0.1"})


def test_unicode_stickiness_hashes_utf8() -> None:
    # mmh3.hash("g:🙂", signed=False) % 100 + 1 == 76
    assert rollout_flag(76).is_enabled("f", {"userId": "🙂"})
    assert not rollout_flag(75).is_enabled("f", {"userId": "🙂"})


def test_reasons(engine: Engine) -> None:
    assert engine.evaluate("payments-kill-switch") == Evaluation(
        "payments-kill-switch", True, "STATIC", strategy=0
    )
    assert engine.evaluate("nope") == Evaluation("nope", False, "ERROR", error="FLAG_NOT_FOUND")
    assert engine.is_enabled("nope", default=True)
    prod = Engine(fixture_flags(), "production")
    assert prod.evaluate("new-checkout", {"userId": "user-3", "country": "DE"}) == Evaluation(
        "new-checkout", False, "DISABLED"
    )
    assert prod.evaluate("search-ranking") == Evaluation(
        "search-ranking", False, "DISABLED"
    )  # not configured
    assert engine.evaluate("new-checkout", {"userId": "user-3", "country": "DE"}) == Evaluation(
        "new-checkout", True, "TARGETING_MATCH", strategy=0
    )


def test_runtime_toggles_override_the_file() -> None:
    off = Engine(fixture_flags(), toggles={"payments-kill-switch": False})
    assert off.evaluate("payments-kill-switch") == Evaluation("payments-kill-switch", False, "DISABLED")
    on = Engine(fixture_flags(), "production", toggles={"new-checkout": True})
    # production has no strategies: switched on, it is on for everyone
    assert on.evaluate("new-checkout", {"userId": "user-0"}) == Evaluation("new-checkout", True, "STATIC")


def test_several_strategies_first_match_wins(engine: Engine) -> None:
    assert engine.evaluate("beta-dashboard", {"userId": "bob"}).strategy == 0
    beta = {
        "userId": "carol",
        "email": "C@Example.COM",
        "appVersion": "2.0.0-rc.2",
        "age": "18",
        "region": "cn",
    }
    assert engine.evaluate("beta-dashboard", beta).strategy == 1
    assert not engine.is_enabled("beta-dashboard", {**beta, "region": "eu"})  # inverted NOT_IN
    assert not engine.is_enabled("beta-dashboard", {**beta, "appVersion": "2.0.0-rc.1"})
    assert not engine.is_enabled("beta-dashboard", {**beta, "email": "c@example.org"})
    # the third strategy has a DATE_BEFORE 2020 on currentTime: never true today
    assert not engine.is_enabled("beta-dashboard", {"plan": "enterprise"})
    assert engine.is_enabled("beta-dashboard", {"plan": "enterprise", "currentTime": "2019-06-01T00:00:00Z"})


def test_deterministic_across_engines() -> None:
    first, second = Engine(fixture_flags()), Engine(fixture_flags())
    for n in range(300):
        ctx = {"userId": f"u{n}", "country": "FR", "sessionId": f"s{n}", "tenant": f"t{n}"}
        for name in ("new-checkout", "search-ranking", "cache-ttl"):
            assert first.evaluate(name, ctx) == second.evaluate(name, ctx)
