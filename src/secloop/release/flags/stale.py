"""Stale flags: past the type's expected lifetime, fully rolled out, or no longer referenced in code.

Each stale flag becomes a technical-debt work item naming the owner, the flag's line and why. Lifetimes
are Unleash's (release and experiment 40 days, operational 7, kill-switch and permission never). A
kill switch is meant to stay on everywhere, so "fully rolled out" does not apply to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from secloop.release.flags.model import LIFETIME_DAYS, Flag, FlagsFile, FlagType
from secloop.sources.repo import Repo

LIFETIME = "lifetime"
ROLLED_OUT = "rolled-out"
UNREFERENCED = "unreferenced"


@dataclass(frozen=True, slots=True)
class StaleReason:
    kind: str  # lifetime | rolled-out | unreferenced
    detail: str


@dataclass(frozen=True, slots=True)
class StaleFlag:
    flag: Flag
    path: str
    reasons: tuple[StaleReason, ...]

    @property
    def action(self) -> str:
        kinds = {r.kind for r in self.reasons}
        if kinds == {UNREFERENCED}:
            return f"remove '{self.flag.name}' from {self.path}: no code reads it any more"
        return (
            f"remove '{self.flag.name}' and the code paths it guards, keeping the winning path "
            f"(owner: {self.flag.owner})"
        )


def _lifetime(flag: Flag, today: date) -> StaleReason | None:
    days = LIFETIME_DAYS[flag.type]
    age = (today - flag.created).days
    if days is None or age <= days:
        return None
    return StaleReason(
        LIFETIME,
        f"created {flag.created.isoformat()}, {age} days ago; a {flag.type.value} flag is expected to live "
        f"{days} days",
    )


def _rolled_out(flag: Flag) -> StaleReason | None:
    if flag.type is FlagType.KILL_SWITCH or not flag.environments:
        return None
    if not all(env.fully_on for env in flag.environments):
        return None
    if flag.variants or any(s.variants for env in flag.environments for s in env.strategies):
        return None  # still splitting traffic between variants
    names = ", ".join(env.name for env in flag.environments)
    return StaleReason(ROLLED_OUT, f"on for everyone in every environment ({names})")


def referenced(repo: Repo, names: Iterable[str], exclude: set[str]) -> set[str]:
    """The flag names that appear in the repository's files (outside `exclude`), as whole names."""
    wanted = sorted(set(names), key=len, reverse=True)
    if not wanted:
        return set()
    # a flag name is a whole token: not part of a longer name made of the same characters
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(n) for n in wanted) + r")(?![\w-])")
    files = [f for f in repo.files() if f not in exclude]
    found: set[str] = set()
    for hit in repo.grep(pattern, files):
        found.update(m.group(1) for m in pattern.finditer(hit.text))
        if len(found) == len(wanted):
            break
    return found


def find_stale(
    flags: FlagsFile, today: date, repo: Repo | None = None, flags_rel: str = ""
) -> list[StaleFlag]:
    """Stale flags in file order; code references are searched only when a repository is given."""
    used = referenced(repo, (f.name for f in flags.flags), {flags_rel}) if repo is not None else None
    out: list[StaleFlag] = []
    for flag in flags.flags:
        reasons = [r for r in (_lifetime(flag, today), _rolled_out(flag)) if r is not None]
        if used is not None and flag.name not in used:
            reasons.append(StaleReason(UNREFERENCED, f"no file in the repository mentions '{flag.name}'"))
        if reasons:
            out.append(StaleFlag(flag, flags.path, tuple(reasons)))
    return out


def stale_json(items: list[StaleFlag], flags: FlagsFile, today: date, searched: bool) -> str:
    document = {
        "schema": "secloop.flags-stale/v1",
        "flags_file": flags.path,
        "as_of": today.isoformat(),
        "code_searched": searched,
        "flags": len(flags.flags),
        "items": [
            {
                "flag": item.flag.name,
                "type": item.flag.type.value,
                "owner": item.flag.owner,
                "created": item.flag.created.isoformat(),
                "location": {"path": item.path, "line": item.flag.line},
                "reasons": [{"kind": r.kind, "detail": r.detail} for r in item.reasons],
                "action": item.action,
            }
            for item in items
        ],
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
