"""Export one environment of a flags file as Unleash's client API document (`/api/client/features`).

With it an Unleash SDK can be bootstrapped from a secloop flags file, and the two evaluate the same
flags side by side (the benchmark and the compatibility tests do exactly that).
"""

from __future__ import annotations

from typing import Any

from secloop.release.flags.model import Constraint, Flag, FlagsFile, Strategy, Variant


def _constraint(c: Constraint) -> dict[str, Any]:
    out: dict[str, Any] = {
        "contextName": c.context_name,
        "operator": c.operator,
        "inverted": c.inverted,
        "caseInsensitive": c.case_insensitive,
    }
    if c.value is not None:
        out["value"] = c.value
    if c.values:
        out["values"] = list(c.values)
    return out


def _variant(v: Variant) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": v.name,
        "weight": v.weight,
        "weightType": "fix",
        "stickiness": v.stickiness,
    }
    if v.payload is not None:
        out["payload"] = {"type": v.payload.type, "value": v.payload.value}
    if v.overrides:
        out["overrides"] = [{"contextName": o.context_name, "values": list(o.values)} for o in v.overrides]
    return out


def _strategy(s: Strategy, segment_ids: dict[str, int]) -> dict[str, Any]:
    parameters: dict[str, str] = {}
    if s.name == "flexibleRollout":
        parameters = {"rollout": str(s.rollout), "stickiness": s.stickiness, "groupId": s.group_id}
    elif s.name == "userWithId":
        parameters = {"userIds": ",".join(s.user_ids)}
    out: dict[str, Any] = {
        "name": s.name,
        "parameters": parameters,
        "constraints": [_constraint(c) for c in s.constraints],
    }
    if s.segments:
        out["segments"] = [segment_ids[name] for name in s.segments]
    if s.variants:
        out["variants"] = [_variant(v) for v in s.variants]
    return out


def _feature(flag: Flag, environment: str, segment_ids: dict[str, int]) -> dict[str, Any]:
    env = flag.environment(environment)
    strategies = [_strategy(s, segment_ids) for s in env.strategies] if env is not None else []
    return {
        "name": flag.name,
        "type": flag.type.value,
        "description": flag.description,
        "enabled": bool(env is not None and env.enabled),
        "stale": False,
        "impressionData": False,
        # Unleash treats a flag without strategies as on for everyone; so does secloop.
        "strategies": strategies,
        "variants": [_variant(v) for v in flag.variants],
    }


def to_unleash(flags: FlagsFile, environment: str) -> dict[str, Any]:
    segment_ids = {segment.name: index for index, segment in enumerate(flags.segments, start=1)}
    return {
        "version": 2,
        "features": [_feature(flag, environment, segment_ids) for flag in flags.flags],
        "segments": [
            {
                "id": segment_ids[s.name],
                "name": s.name,
                "constraints": [_constraint(c) for c in s.constraints],
            }
            for s in flags.segments
        ],
    }
