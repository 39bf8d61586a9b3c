"""The OpenFeature provider, exercised through the SDK's API and client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from secloop.release.flags.engine import Engine
from secloop.release.flags.openfeature import SecloopProvider
from tests.release.flags.conftest import fixture_flags, flags_from


def _variant(name: str, user: str, payload: str = "") -> str:
    extra = f", payload: {payload}" if payload else ""
    override = f"[{{contextName: userId, values: [{user}]}}]"
    return f"      - {{name: {name}, weight: 1{extra}, overrides: {override}}}\n"


NUMBERS = (
    "flags:\n  limits:\n    type: operational\n    owner: me\n    created: 2026-11-01\n"
    "    environments:\n      default: {enabled: true}\n    variants:\n"
    + _variant("as-json", "j", """{type: json, value: '{"max": 5}'}""")
    + _variant("as-int", "i", "{type: number, value: '42'}")
    + _variant("as-float", "f", "{type: number, value: '2.5'}")
    + _variant("bare", "b")
)


@pytest.fixture
def provider() -> Iterator[SecloopProvider]:
    provider = SecloopProvider(Engine(fixture_flags()))
    api.set_provider(provider, "secloop-test")
    yield provider
    api.clear_providers()


@pytest.fixture
def client(provider: SecloopProvider) -> OpenFeatureClient:
    return api.get_client("secloop-test")


def test_boolean_reasons(client: OpenFeatureClient) -> None:
    on = client.get_boolean_details("new-checkout", False, EvaluationContext("user-3", {"country": "DE"}))
    assert (on.value, on.reason, on.error_code) == (True, Reason.TARGETING_MATCH, None)
    off = client.get_boolean_details("new-checkout", True, EvaluationContext("user-0", {"country": "DE"}))
    assert (off.value, off.reason) == (False, Reason.DEFAULT)
    static = client.get_boolean_details("payments-kill-switch", False)
    assert (static.value, static.reason) == (True, Reason.STATIC)
    missing = client.get_boolean_details("nope", True)
    assert (missing.value, missing.reason, missing.error_code) == (
        True,
        Reason.ERROR,
        ErrorCode.FLAG_NOT_FOUND,
    )


def test_disabled(provider: SecloopProvider, client: OpenFeatureClient) -> None:
    provider.update(Engine(fixture_flags(), "production"))
    result = client.get_boolean_details("new-checkout", True, EvaluationContext("user-3", {"country": "DE"}))
    assert (result.value, result.reason) == (False, Reason.DISABLED)


def test_string_variants(client: OpenFeatureClient) -> None:
    result = client.get_string_details("search-ranking", "none", EvaluationContext(None, {"sessionId": "s0"}))
    assert (result.value, result.variant, result.reason) == ("bm25,vector", "hybrid", Reason.SPLIT)
    control = client.get_string_details(
        "search-ranking", "none", EvaluationContext(None, {"sessionId": "s1"})
    )
    assert (control.value, control.variant) == ("bm25", "control")
    mismatch = client.get_string_details(
        "new-checkout", "none", EvaluationContext("user-3", {"country": "DE"})
    )
    assert (mismatch.value, mismatch.error_code) == ("none", ErrorCode.TYPE_MISMATCH)
    assert client.get_object_value(
        "search-ranking", {"d": 1}, EvaluationContext(None, {"sessionId": "s6"})
    ) == {"k": 10}


def test_numbers_and_objects() -> None:
    api.set_provider(SecloopProvider(Engine(flags_from(NUMBERS))), "numbers")
    try:
        client = api.get_client("numbers")
        assert client.get_integer_details("limits", 0, EvaluationContext("i")).value == 42
        assert client.get_float_details("limits", 0.0, EvaluationContext("f")).value == 2.5
        assert client.get_float_details("limits", 0.0, EvaluationContext("i")).value == 42.0
        assert client.get_object_details("limits", {}, EvaluationContext("j")).value == {"max": 5}
        assert client.get_string_details("limits", "", EvaluationContext("b")).value == "bare"
        bad = client.get_integer_details("limits", 7, EvaluationContext("f"))
        assert (bad.value, bad.reason, bad.error_code) == (7, Reason.ERROR, ErrorCode.TYPE_MISMATCH)
        obj = client.get_object_details("limits", [], EvaluationContext("i"))
        assert (obj.value, obj.error_code) == ([], ErrorCode.TYPE_MISMATCH)
    finally:
        api.clear_providers()


def test_update_emits_configuration_changed(provider: SecloopProvider, client: OpenFeatureClient) -> None:
    seen: list[EventDetails] = []
    client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, seen.append)
    provider.update(Engine(fixture_flags(), toggles={"payments-kill-switch": False}))
    assert seen and "payments-kill-switch" in (seen[0].flags_changed or [])
    assert client.get_boolean_value("payments-kill-switch", True) is False
