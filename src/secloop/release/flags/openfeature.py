"""An OpenFeature provider over the flags engine (openfeature-sdk, the `release` extra).

Booleans are the flag's on/off; strings, numbers and objects come from the chosen variant's payload
(a variant without payload resolves a string to its name). The targeting key is Unleash's userId.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from secloop.release.flags.engine import ERROR, Engine, Evaluation

T = TypeVar("T")
ObjectValue = Sequence[FlagValueType] | Mapping[str, FlagValueType]


def to_context(evaluation_context: EvaluationContext | None) -> dict[str, str]:
    if evaluation_context is None:
        return {}
    out: dict[str, str] = {}
    if evaluation_context.targeting_key:
        out["userId"] = evaluation_context.targeting_key
    for key, value in evaluation_context.attributes.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[key] = str(value)
    return out


class SecloopProvider(AbstractProvider):
    """Resolves flags with a secloop `Engine`; `update()` swaps in new flags and tells the SDK."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._lock = threading.Lock()

    def get_metadata(self) -> Metadata:
        return Metadata(name="secloop")

    @property
    def engine(self) -> Engine:
        return self._engine

    def update(self, engine: Engine) -> None:
        with self._lock:
            self._engine = engine
        if hasattr(self, "_on_emit"):
            changed = [f.name for f in engine.flags.flags]
            self.emit_provider_configuration_changed(ProviderEventDetails(flags_changed=changed))

    def _evaluate(self, flag_key: str, evaluation_context: EvaluationContext | None) -> Evaluation:
        return self._engine.evaluate(flag_key, to_context(evaluation_context))

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        result = self._evaluate(flag_key, evaluation_context)
        if result.reason == ERROR:
            return _error(default_value, ErrorCode.FLAG_NOT_FOUND, f"no flag '{flag_key}'")
        return FlagResolutionDetails(
            value=result.enabled,
            reason=Reason(result.reason),
            variant=result.variant,
            flag_metadata=_meta(result),
        )

    def _payload(
        self,
        flag_key: str,
        default_value: T,
        evaluation_context: EvaluationContext | None,
        convert: Callable[[str | None, str, str], T | None],
        kind: str,
    ) -> FlagResolutionDetails[T]:
        result = self._evaluate(flag_key, evaluation_context)
        if result.reason == ERROR:
            return _error(default_value, ErrorCode.FLAG_NOT_FOUND, f"no flag '{flag_key}'")
        flag = self._engine.flags.by_name[flag_key]
        has_variants = bool(flag.variants) or any(s.variants for e in flag.environments for s in e.strategies)
        if not has_variants:
            return _error(
                default_value, ErrorCode.TYPE_MISMATCH, f"flag '{flag_key}' has no variants for a {kind}"
            )
        if not result.enabled or result.variant is None:
            return FlagResolutionDetails(
                value=default_value, reason=Reason(result.reason), flag_metadata=_meta(result)
            )
        payload = result.payload
        value = convert(payload.type if payload else None, payload.value if payload else "", result.variant)
        if value is None:
            return _error(
                default_value, ErrorCode.TYPE_MISMATCH, f"variant '{result.variant}' is not a {kind}"
            )
        return FlagResolutionDetails(
            value=value, reason=Reason(result.reason), variant=result.variant, flag_metadata=_meta(result)
        )

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._payload(flag_key, default_value, evaluation_context, _as_string, "string")

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._payload(flag_key, default_value, evaluation_context, _as_int, "integer")

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        return self._payload(flag_key, default_value, evaluation_context, _as_float, "float")

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: ObjectValue,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[ObjectValue]:
        return self._payload(flag_key, default_value, evaluation_context, _as_object, "object")


def _meta(result: Evaluation) -> dict[str, bool | int | float | str]:
    meta: dict[str, bool | int | float | str] = {"enabled": result.enabled}
    if result.strategy is not None:
        meta["strategy"] = result.strategy
    return meta


def _error(default_value: T, code: ErrorCode, message: str) -> FlagResolutionDetails[T]:
    return FlagResolutionDetails(
        value=default_value, reason=Reason.ERROR, error_code=code, error_message=message
    )


def _as_string(kind: str | None, value: str, variant: str) -> str | None:
    if kind is None:
        return variant
    return value if kind in ("string", "csv") else None


def _number(kind: str | None, value: str) -> Any:
    if kind == "number":
        return float(value)
    if kind == "json":
        parsed = json.loads(value)
        return parsed if isinstance(parsed, int | float) and not isinstance(parsed, bool) else None
    return None


def _as_int(kind: str | None, value: str, _variant: str) -> int | None:
    number = _number(kind, value)
    return int(number) if number is not None and float(number).is_integer() else None


def _as_float(kind: str | None, value: str, _variant: str) -> float | None:
    number = _number(kind, value)
    return None if number is None else float(number)


def _as_object(kind: str | None, value: str, _variant: str) -> ObjectValue | None:
    if kind != "json":
        return None
    parsed = json.loads(value)
    return parsed if isinstance(parsed, dict | list) else None
