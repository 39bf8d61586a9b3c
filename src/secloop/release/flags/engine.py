"""Evaluation, bit-compatible with Unleash's bucketing, over flags compiled once into closures.

Gradual rollout: murmur3_x86_32("{groupId}:{stickinessValue}", seed 0) % 100 + 1 <= rollout.
Variants: murmur3_x86_32("{groupId}:{stickinessValue}", seed 86028157) % total weight + 1, walked
through the cumulative weights; overrides win first. Stickiness "default" is userId, then sessionId,
then a random bucket (for variants also remoteAddress before random), as the Unleash SDKs do.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from secloop.release.flags.constraints import Check, Context, compile_all
from secloop.release.flags.model import (
    DEFAULT_ENVIRONMENT,
    VARIANT_SEED,
    Flag,
    FlagsFile,
    Payload,
    Strategy,
    Variant,
)
from secloop.release.flags.murmur import prefixed_hasher

EMPTY: Context = {}
# Reasons, named as OpenFeature names them.
TARGETING_MATCH = "TARGETING_MATCH"
STATIC = "STATIC"
DEFAULT = "DEFAULT"
DISABLED = "DISABLED"
SPLIT = "SPLIT"  # a variant picked by weight
ERROR = "ERROR"
FLAG_NOT_FOUND = "FLAG_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class Evaluation:
    flag: str
    enabled: bool
    reason: str
    variant: str | None = None
    payload: Payload | None = None
    strategy: int | None = None  # index of the strategy that matched, in its environment
    error: str | None = None


def _never(_ctx: Context) -> bool:
    return False


def _always(_ctx: Context) -> bool:
    return True


def _rollout(strategy: Strategy) -> Check:
    percent = strategy.rollout
    stickiness = strategy.stickiness
    if percent <= 0:
        return _never
    if percent >= 100 and stickiness in ("default", "random"):
        return _always
    hasher = prefixed_hasher(f"{strategy.group_id}:")
    if stickiness == "random":
        return lambda _ctx: random.randint(1, 100) <= percent  # noqa: S311 - bucketing, not secrecy  # nosec B311
    if stickiness == "default":

        def sticky_default(ctx: Context) -> bool:
            value = ctx.get("userId") or ctx.get("sessionId")
            if not value:
                return random.randint(1, 100) <= percent  # noqa: S311  # nosec B311
            return hasher(value) % 100 + 1 <= percent

        return sticky_default

    def sticky_field(ctx: Context) -> bool:
        value = ctx.get(stickiness)
        return bool(value) and hasher(value) % 100 + 1 <= percent  # type: ignore[arg-type]

    return sticky_field


def compile_strategy(strategy: Strategy, flags: FlagsFile) -> Check:
    constraints = list(strategy.constraints)
    for name in strategy.segments:
        segment = flags.segment(name)
        assert segment is not None  # the loader refuses unknown segments
        constraints.extend(segment.constraints)
    condition = compile_all(tuple(constraints))
    if strategy.name == "userWithId":
        users = frozenset(strategy.user_ids)

        def by_user(ctx: Context) -> bool:
            return ctx.get("userId") in users

        select: Check = by_user
    elif strategy.name == "flexibleRollout":
        select = _rollout(strategy)
    else:
        select = _always
    if condition is None:
        return select
    if select is _always:
        return condition
    return lambda ctx: condition(ctx) and select(ctx)


Selector = Callable[[Context], tuple[Variant, bool] | None]


def compile_variants(variants: tuple[Variant, ...], group_id: str) -> Selector:
    """Context -> (variant, by_override), or None when there are no variants."""
    if not variants:
        return lambda _ctx: None
    total = sum(v.weight for v in variants)
    hasher = prefixed_hasher(f"{group_id}:", VARIANT_SEED)
    stickiness = variants[0].stickiness
    overrides = [(o.context_name, frozenset(o.values), v) for v in variants for o in v.overrides]
    bounds: list[tuple[int, Variant]] = []
    running = 0
    for variant in variants:
        running += variant.weight
        if variant.weight:
            bounds.append((running, variant))

    def select(ctx: Context) -> tuple[Variant, bool]:
        for field, values, variant in overrides:
            if ctx.get(field) in values:
                return variant, True
        if stickiness == "default":
            value = ctx.get("userId") or ctx.get("sessionId") or ctx.get("remoteAddress")
        else:
            value = ctx.get(stickiness)
        # without a sticky value Unleash picks at random
        target = hasher(value) % total + 1 if value else random.randint(1, total)  # noqa: S311  # nosec B311
        for bound, variant in bounds:
            if target <= bound:
                return variant, False
        return bounds[-1][1], False  # unreachable: target <= total

    return select


@dataclass(frozen=True, slots=True)
class CompiledFlag:
    flag: Flag
    configured: bool  # the flag has the environment at all
    enabled: bool
    checks: tuple[Check, ...]
    selectors: tuple[Selector, ...]  # per strategy: its own variants, else the flag's
    static: tuple[bool, ...]
    is_enabled: Check


def compile_flag(flag: Flag, flags: FlagsFile, environment: str, toggle: bool | None) -> CompiledFlag:
    env = flag.environment(environment)
    enabled = (env.enabled if env is not None else False) if toggle is None else toggle
    strategies = env.strategies if env is not None else ()
    checks = tuple(compile_strategy(s, flags) for s in strategies)
    flag_variants = compile_variants(flag.variants, flag.name)
    selectors = tuple(
        compile_variants(s.variants, s.group_id) if s.variants else flag_variants for s in strategies
    )
    if not enabled:
        decide: Check = _never
    elif not checks:
        decide = _always
    elif len(checks) == 1:
        decide = checks[0]
    else:

        def decide(ctx: Context) -> bool:
            return any(check(ctx) for check in checks)

    return CompiledFlag(
        flag,
        env is not None,
        enabled,
        checks,
        selectors or (flag_variants,),
        tuple(s.unconditional for s in strategies) or (True,),
        decide,
    )


class Engine:
    """Flags of one environment, compiled; `toggles` switch whole flags on or off at run time."""

    def __init__(
        self,
        flags: FlagsFile,
        environment: str = DEFAULT_ENVIRONMENT,
        toggles: Mapping[str, bool] | None = None,
    ) -> None:
        self.flags = flags
        self.environment = environment
        toggles = toggles or {}
        self._compiled = {
            f.name: compile_flag(f, flags, environment, toggles.get(f.name)) for f in flags.flags
        }
        self._deciders = {name: c.is_enabled for name, c in self._compiled.items()}

    def is_enabled(self, name: str, context: Context = EMPTY, default: bool = False) -> bool:
        decide = self._deciders.get(name)
        return default if decide is None else decide(context)

    def __contains__(self, name: object) -> bool:
        return name in self._compiled

    def evaluate(self, name: str, context: Context = EMPTY) -> Evaluation:
        compiled = self._compiled.get(name)
        if compiled is None:
            return Evaluation(name, False, ERROR, error=FLAG_NOT_FOUND)
        if not compiled.enabled:
            return Evaluation(name, False, DISABLED)
        if not compiled.checks:
            return self._with_variant(compiled, 0, STATIC, context)
        for index, check in enumerate(compiled.checks):
            if check(context):
                reason = STATIC if compiled.static[index] else TARGETING_MATCH
                return self._with_variant(compiled, index, reason, context)
        return Evaluation(name, False, DEFAULT)

    def _with_variant(self, compiled: CompiledFlag, index: int, reason: str, context: Context) -> Evaluation:
        chosen = compiled.selectors[index](context)
        strategy = index if compiled.checks else None
        if chosen is None:
            return Evaluation(compiled.flag.name, True, reason, strategy=strategy)
        variant, by_override = chosen
        return Evaluation(
            compiled.flag.name,
            True,
            TARGETING_MATCH if by_override else SPLIT,
            variant.name,
            variant.payload,
            strategy,
        )
