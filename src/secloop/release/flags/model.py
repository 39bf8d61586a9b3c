"""The flags file as typed values: flags, environments, strategies, constraints, segments, variants.

The shapes follow Unleash's (strategy names, parameter names, constraint operators, variant fields), so a
flag moves between a secloop flags file and an Unleash server by renaming nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class FlagType(StrEnum):
    RELEASE = "release"
    EXPERIMENT = "experiment"
    OPERATIONAL = "operational"
    KILL_SWITCH = "kill-switch"
    PERMISSION = "permission"


# Unleash's expected lifetimes (days) after which a flag of the type is "potentially stale".
LIFETIME_DAYS: dict[FlagType, int | None] = {
    FlagType.RELEASE: 40,
    FlagType.EXPERIMENT: 40,
    FlagType.OPERATIONAL: 7,
    FlagType.KILL_SWITCH: None,
    FlagType.PERMISSION: None,
}

DEFAULT_ENVIRONMENT = "default"
VARIANT_SEED = 86028157
STRATEGIES = ("default", "flexibleRollout", "userWithId")
LIST_OPERATORS = frozenset(
    {"IN", "NOT_IN", "STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH"},
)
NUMBER_OPERATORS = frozenset({"NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE"})
DATE_OPERATORS = frozenset({"DATE_AFTER", "DATE_BEFORE"})
SEMVER_OPERATORS = frozenset({"SEMVER_EQ", "SEMVER_GT", "SEMVER_LT"})
OPERATORS = LIST_OPERATORS | NUMBER_OPERATORS | DATE_OPERATORS | SEMVER_OPERATORS
PAYLOAD_TYPES = ("string", "json", "csv", "number")


@dataclass(frozen=True, slots=True)
class Constraint:
    context_name: str
    operator: str
    values: tuple[str, ...] = ()
    value: str | None = None
    inverted: bool = False
    case_insensitive: bool = False
    line: int = 0


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    constraints: tuple[Constraint, ...]
    description: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Payload:
    type: str
    value: str


@dataclass(frozen=True, slots=True)
class Override:
    context_name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    weight: int
    stickiness: str = "default"
    payload: Payload | None = None
    overrides: tuple[Override, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    rollout: int = 100
    stickiness: str = "default"
    group_id: str = ""
    user_ids: tuple[str, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    segments: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()
    line: int = 0

    @property
    def unconditional(self) -> bool:
        """On for everyone: no constraint, no segment, and nothing that selects users."""
        if self.constraints or self.segments:
            return False
        full = self.rollout >= 100 and self.stickiness in ("default", "random")
        return self.name == "default" or (self.name == "flexibleRollout" and full)


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    enabled: bool
    strategies: tuple[Strategy, ...] = ()
    line: int = 0

    @property
    def fully_on(self) -> bool:
        """Enabled for every context: no strategy, or one that is unconditional."""
        return self.enabled and (not self.strategies or any(s.unconditional for s in self.strategies))


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    type: FlagType
    owner: str
    created: date
    environments: tuple[Environment, ...]
    description: str = ""
    variants: tuple[Variant, ...] = ()
    line: int = 0

    def environment(self, name: str) -> Environment | None:
        for env in self.environments:
            if env.name == name:
                return env
        return None


@dataclass(frozen=True)
class FlagsFile:
    path: str
    flags: tuple[Flag, ...]
    segments: tuple[Segment, ...] = ()
    by_name: dict[str, Flag] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({flag.name: flag for flag in self.flags})

    def segment(self, name: str) -> Segment | None:
        for segment in self.segments:
            if segment.name == name:
                return segment
        return None

    def environments(self) -> tuple[str, ...]:
        return tuple(sorted({env.name for flag in self.flags for env in flag.environments}))
