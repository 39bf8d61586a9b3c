"""Registry-backed rules on pinned packages: cooldown, freshness ("update monthly") and health.

A pure function of the packages, the registry answers, the lock dates and the policy: no network and
no clock of its own, so every figure can be checked by hand in a test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.core.rules import Rule
from secloop.deps.cache import paused_gc
from secloop.deps.forge import RepoLookup, RepoState, github_repo
from secloop.deps.model import NPM, Package
from secloop.deps.registry import Lookup, Missing, PackageInfo, Release
from secloop.deps.rules import (
    DEP_ARCHIVED,
    DEP_COOLDOWN,
    DEP_LITTLE_USED,
    DEP_OUTDATED,
    DEP_UNMAINTAINED,
    DEP_YANKED,
)
from secloop.deps.settings import Policy
from secloop.deps.versions import ECOSYSTEM_SCHEMES, Key

# (package, the release just before its pin) -> the high/critical advisory that the pin fixes, "" when
# none, None when that cannot be told (no advisory database for the ecosystem).
SecurityFix = Callable[[Package, str], str | None]

_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True, slots=True)
class Freshness:
    package: Package
    pinned: Release | None
    newest: Release | None  # the newest release older than the cooldown
    behind: int
    libyears: float


@dataclass(frozen=True, slots=True)
class HealthReport:
    cooldown: tuple[Finding, ...]
    freshness: tuple[Finding, ...]
    health: tuple[Finding, ...]
    rows: tuple[Freshness, ...]
    exempt: tuple[str, ...]  # cooldown exemptions, said as evidence
    missing: tuple[Skipped, ...]
    checked: int  # distinct package versions with registry metadata
    # The archived part: packages whose GitHub repository state was read, and those it could not be.
    archive_checked: int = 0
    archive_missing: tuple[Skipped, ...] = ()
    archive_unknown: int = 0
    no_repository: int = 0  # packages with metadata that name no GitHub repository

    @property
    def libyears(self) -> float:
        return round(sum(r.libyears for r in self.rows), 2)


def _finding(
    rule: Rule, places: Sequence[Package], message: str, fix: str, *props: tuple[str, str]
) -> Finding:
    first = places[0]
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=message,
        locations=tuple(Location(p.path, p.line) for p in places),
        fingerprint=keyed_fingerprint(rule.id, first.ecosystem, first.name, first.version),
        properties=(
            ("ecosystem", first.ecosystem),
            ("package", first.name),
            ("version", first.version),
            *props,
        ),
        fix=fix,
    )


def _days(delta: timedelta) -> int:
    return int(delta.total_seconds() // 86400)


def _keyed(info: PackageInfo) -> list[tuple[Key, Release]]:
    scheme = ECOSYSTEM_SCHEMES.get(info.ecosystem)
    if scheme is None:
        return []
    out: list[tuple[Key, Release]] = []
    for r in info.releases:
        key = scheme.key(r.version)
        if key is not None:
            out.append((key, r))
    return sorted(out, key=lambda kr: kr[0])


def freshness(pkg: Package, info: PackageInfo, now: datetime, policy: Policy) -> Freshness:
    scheme = ECOSYSTEM_SCHEMES.get(info.ecosystem)
    pinned = info.release(pkg.version)
    if scheme is None:
        return Freshness(pkg, pinned, None, 0, 0.0)
    cutoff = now - timedelta(days=policy.cooldown_days)
    stable = [
        (k, r)
        for k, r in _keyed(info)
        if not r.yanked and not r.deprecated and not scheme.is_prerelease(r.version)
        if r.published is not None and r.published <= cutoff
    ]
    newest = stable[-1][1] if stable else None
    own = scheme.key(pkg.version)
    behind = sum(1 for k, _ in stable if own is not None and k > own)
    years = 0.0
    if behind and newest and pinned and newest.published and pinned.published:
        years = max(0.0, (newest.published - pinned.published).total_seconds() / 86400 / _DAYS_PER_YEAR)
    return Freshness(pkg, pinned, newest, behind, round(years, 2))


def _previous(info: PackageInfo, version: str) -> Release | None:
    scheme = ECOSYSTEM_SCHEMES.get(info.ecosystem)
    own = scheme.key(version) if scheme else None
    if scheme is None or own is None:
        return None
    below = [r for k, r in _keyed(info) if k < own and not scheme.is_prerelease(r.version)]
    return below[-1] if below else None


def _cooldown(
    pkg: Package,
    places: Sequence[Package],
    info: PackageInfo,
    locked_at: datetime,
    policy: Policy,
    security_fix: SecurityFix | None,
) -> tuple[Finding | None, str | None]:
    pinned = info.release(pkg.version)
    if pinned is None or pinned.published is None:
        return None, None
    age = locked_at - pinned.published
    if age >= timedelta(days=policy.cooldown_days):
        return None, None
    previous = _previous(info, pkg.version)
    fixed = security_fix(pkg, previous.version) if security_fix and previous else None
    label = f"{pkg.name} {pkg.version}"
    if fixed:
        return (
            None,
            f"{label}: inside the cooldown, but it fixes {fixed} (high or critical) of "
            f"{previous.version if previous else '?'}",
        )
    days = max(0, _days(age))
    note = (
        ""
        if fixed == ""
        else "; whether it fixes a high or critical advisory is unknown (no advisory database)"
    )
    message = (
        f"{label} was published {pinned.published.date()}, {days} day(s) before the lockfile was committed "
        f"({locked_at.date()}): inside the {policy.cooldown_days}-day cooldown{note}"
    )
    ripe = (pinned.published + timedelta(days=policy.cooldown_days)).date()
    fix = (
        f"pin {pkg.name} {previous.version} until {pkg.version} is {policy.cooldown_days} days old ({ripe})"
        if previous
        else f"wait until {ripe} before adopting it"
    )
    return _finding(
        DEP_COOLDOWN,
        places,
        message,
        fix,
        ("published", pinned.published.isoformat()),
        ("age_days", str(days)),
    ), None


def _health(
    pkg: Package, places: Sequence[Package], info: PackageInfo, now: datetime, policy: Policy
) -> list[Finding]:
    out: list[Finding] = []
    label = f"{pkg.name} {pkg.version}"
    pinned = info.release(pkg.version)
    if pinned is not None and (pinned.yanked or pinned.deprecated):
        why = (
            f"deprecated on npm: {pinned.deprecated!r}"
            if pinned.deprecated
            else "yanked on PyPI"
            if info.ecosystem == "PyPI"
            else "unpublished from npm"
        )
        out.append(
            _finding(
                DEP_YANKED, places, f"{label} is {why}", f"move {pkg.name} to a release that is not withdrawn"
            )
        )
    published = [r.published for r in info.releases if r.published is not None and not r.yanked]
    last = max(published) if published else None
    if info.inactive:
        out.append(
            _finding(
                DEP_UNMAINTAINED,
                places,
                f"{pkg.name} is no longer maintained: {info.inactive}",
                DEP_UNMAINTAINED.fix,
            )
        )
    elif last is not None and now - last > timedelta(days=policy.unmaintained_days):
        out.append(
            _finding(
                DEP_UNMAINTAINED,
                places,
                f"{pkg.name} has had no release for {_days(now - last)} days (last: {last.date()}); "
                f"the limit is {policy.unmaintained_days}",
                DEP_UNMAINTAINED.fix,
                ("last_release", last.date().isoformat()),
            )
        )
    if info.weekly_downloads is not None and info.weekly_downloads < policy.min_weekly_downloads:
        out.append(
            _finding(
                DEP_LITTLE_USED,
                places,
                f"{pkg.name} has {info.weekly_downloads:,} downloads a week (npm downloads API), fewer than "
                f"{policy.min_weekly_downloads:,}",
                DEP_LITTLE_USED.fix,
                ("weekly_downloads", str(info.weekly_downloads)),
            )
        )
    return out


def _outdated(row: Freshness, places: Sequence[Package], policy: Policy) -> Finding | None:
    pkg, pinned, newest = row.package, row.pinned, row.newest
    if pkg.direct is not True or not row.behind or newest is None or pinned is None:
        return None
    if newest.published is None or pinned.published is None:
        return None
    gap = newest.published - pinned.published
    if gap <= timedelta(days=policy.update_days):
        return None
    message = (
        f"{pkg.name} {pkg.version} ({pinned.published.date()}) is {row.behind} release(s) behind "
        f"{newest.version} ({newest.published.date()}), {_days(gap)} days newer; {row.libyears} libyears"
    )
    return _finding(
        DEP_OUTDATED,
        places,
        message,
        f"update {pkg.name} to {newest.version}",
        ("newest", newest.version),
        ("behind", str(row.behind)),
        ("libyears", f"{row.libyears}"),
    )


def package_repo(info: PackageInfo) -> str | None:
    """The GitHub `owner/repo` the registry metadata names (npm also allows the `owner/repo` shorthand)."""
    return github_repo(info.repository, shorthand=info.ecosystem == NPM)


def _archived(places: Sequence[Package], state: RepoState) -> Finding | None:
    if not state.archived:
        return None
    pkg = places[0]
    pushed = f"; last push {state.pushed_at.date()}" if state.pushed_at else ""
    return _finding(
        DEP_ARCHIVED,
        places,
        f"{pkg.name}'s source repository github.com/{state.repo} is archived (GitHub API){pushed}",
        DEP_ARCHIVED.fix,
        ("repository", f"github.com/{state.repo}"),
        *((("pushed_at", state.pushed_at.isoformat()),) if state.pushed_at else ()),
    )


def assess_health(
    packages: Sequence[Package],
    lookups: Mapping[tuple[str, str], Lookup],
    locked_at: Mapping[str, datetime],
    now: datetime,
    policy: Policy,
    security_fix: SecurityFix | None = None,
    repos: Mapping[str, RepoLookup] | None = None,
) -> HealthReport:
    """``repos``: GitHub repository states by `owner/repo`; None when the archived part is not asked."""
    with paused_gc():
        return _assess(packages, lookups, locked_at, now, policy, security_fix, repos)


def _assess(
    packages: Sequence[Package],
    lookups: Mapping[tuple[str, str], Lookup],
    locked_at: Mapping[str, datetime],
    now: datetime,
    policy: Policy,
    security_fix: SecurityFix | None,
    repos: Mapping[str, RepoLookup] | None,
) -> HealthReport:
    by_key: dict[tuple[str, str, str], list[Package]] = {}
    for pkg in packages:
        by_key.setdefault(pkg.key, []).append(pkg)
    cooldown: list[Finding] = []
    fresh: list[Finding] = []
    health: list[Finding] = []
    rows: list[Freshness] = []
    exempt: list[str] = []
    missing: dict[str, list[str]] = {}
    archive_missing: dict[str, list[str]] = {}
    checked = archive_checked = no_repository = 0
    for _, places in sorted(by_key.items()):
        pkg = places[0]
        looked = lookups.get((pkg.ecosystem, pkg.name))
        if looked is None or isinstance(looked, Missing):
            reason = looked.reason if looked is not None else "not looked up"
            missing.setdefault(reason, []).append(pkg.path)
            continue
        checked += 1
        pkg = min(places, key=lambda p: (p.direct is not True, p.path))
        if pkg.direct is not True and any(p.direct for p in places):
            pkg = next(p for p in places if p.direct)
        when = min((locked_at[p.path] for p in places if p.path in locked_at), default=now)
        finding, note = _cooldown(pkg, places, looked, when, policy, security_fix)
        if finding:
            cooldown.append(finding)
        if note:
            exempt.append(note)
        row = freshness(pkg, looked, now, policy)
        rows.append(row)
        outdated = _outdated(row, [p for p in places if p.direct] or places, policy)
        if outdated:
            fresh.append(outdated)
        health.extend(_health(pkg, places, looked, now, policy))
        if repos is None:
            continue
        repo = package_repo(looked)
        state = repos.get(repo) if repo else None
        if repo is None:
            no_repository += 1
        elif isinstance(state, RepoState):
            archive_checked += 1
            archived = _archived(places, state)
            if archived:
                health.append(archived)
        else:
            reason = state.reason if state is not None else "not looked up"
            archive_missing.setdefault(reason, []).append(pkg.path)
    skipped = _missing(missing)
    return HealthReport(
        tuple(sorted(cooldown, key=Finding.sort_key)),
        tuple(sorted(fresh, key=Finding.sort_key)),
        tuple(sorted(health, key=Finding.sort_key)),
        tuple(rows),
        tuple(exempt),
        skipped,
        checked,
        archive_checked,
        _missing(archive_missing, "with a GitHub repository of unknown archived state"),
        sum(len(paths) for paths in archive_missing.values()),
        no_repository,
    )


def _missing(
    missing: Mapping[str, list[str]], what: str = "without registry metadata"
) -> tuple[Skipped, ...]:
    out: list[Skipped] = []
    for reason, paths in sorted(missing.items()):
        for path in sorted(set(paths)):
            count = paths.count(path)
            out.append(Skipped(path, f"{count} package(s) {what}: {reason}"))
    return tuple(out)
