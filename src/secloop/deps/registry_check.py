"""Registry facts of a repository's pins: metadata lookup, lock dates, the new-dependency set, rules."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from secloop.core.enums import Severity
from secloop.deps.db import AdvisoryDB
from secloop.deps.forge import ForgeClient, ForgeSettings
from secloop.deps.health import HealthReport, SecurityFix, assess_health, package_repo
from secloop.deps.history import added_since, lock_dates, packages_at
from secloop.deps.model import Package
from secloop.deps.registry import ONLINE_ENV, ClientSettings, PackageInfo, RegistryClient
from secloop.deps.scan import Inventory
from secloop.deps.settings import LoadedSettings, Policy, env_flag, now_utc
from secloop.deps.vulns import vulnerabilities
from secloop.sources.repo import Repo


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    report: HealthReport
    considered: tuple[Package, ...]
    policy: Policy
    online: bool
    cache_dir: Path
    since: str | None = None  # the ref as given
    since_commit: str | None = None
    origins: tuple[str, ...] = ()  # where non-default registry base URLs came from

    @property
    def available(self) -> bool:
        return self.report.checked > 0

    def scope(self) -> str:
        if self.since is None:
            return "pinned package version(s)"
        return f"dependenc(ies) added since {self.since}"

    def access(self) -> str:
        mode = "online (cached)" if self.online else "offline: cache only"
        checked = f"{self.report.checked} of {self._distinct()} {self.scope()}"
        origins = "".join(f"; {o}" for o in self.origins)
        return f"registry metadata: {checked}, {mode}, {self.cache_dir}{origins}"

    def _distinct(self) -> int:
        return len({p.key for p in self.considered})


def security_fix_from(db: AdvisoryDB | None) -> SecurityFix:
    """Whether a pin fixes a high or critical advisory that affects the release before it."""

    def fixes(pkg: Package, previous: str) -> str | None:
        if db is None or not db.covers(pkg.ecosystem):
            return None
        entries = db.lookup(pkg.ecosystem, pkg.name)
        before, _ = vulnerabilities(pkg.ecosystem, pkg.name, previous, entries)
        now, _ = vulnerabilities(pkg.ecosystem, pkg.name, pkg.version, entries)
        still = {v.id for v in now}
        severe = [v.id for v in before if v.rated.severity.at_least(Severity.HIGH) and v.id not in still]
        return severe[0] if severe else ""

    return fixes


def registry_facts(
    repo: Repo,
    inv: Inventory,
    loaded: LoadedSettings,
    *,
    online: bool,
    db: AdvisoryDB | None,
    now: datetime,
    since: str | None = None,
    cache_dir: Path | None = None,
) -> RegistryFacts:
    reg = loaded.settings.registry
    settings = ClientSettings.resolve(
        online=online,
        cache_dir=cache_dir,
        ttl_hours=reg.ttl_hours,
        pypi_url=reg.pypi_url,
        npm_url=reg.npm_url,
        npm_downloads_url=reg.npm_downloads_url,
    )
    packages = inv.packages
    commit = None
    if since is not None:
        commit, before = packages_at(repo.root, since, [lf.path for lf in inv.lockfiles])
        packages = added_since(packages, before)
    client = RegistryClient(settings, now=now)
    lookups = client.lookup_many((p.ecosystem, p.name) for p in packages)
    forge = ForgeClient(
        ForgeSettings.resolve(
            online=online,
            cache_dir=settings.cache_dir,
            ttl_hours=reg.ttl_hours,
            api_url=reg.github_api_url,
        ),
        now=now,
    )
    named = {package_repo(info) for info in lookups.values() if isinstance(info, PackageInfo)}
    repos = forge.lookup_many(r for r in named if r)
    dates = lock_dates(repo.root, {p.path for p in packages}, now)
    policy = loaded.settings.policy
    report = assess_health(packages, lookups, dates, now, policy, security_fix_from(db), repos)
    return RegistryFacts(
        report, packages, policy, online, settings.cache_dir, since, commit, settings.origins
    )


_FACTS: weakref.WeakKeyDictionary[Repo, RegistryFacts] = weakref.WeakKeyDictionary()


def facts_cached(
    repo: Repo, inv: Callable[[], Inventory], loaded: LoadedSettings, db: Callable[[], AdvisoryDB | None]
) -> RegistryFacts:
    """One lookup per Repo for the three registry-backed practices; online only when opted in."""
    if repo not in _FACTS:
        _FACTS[repo] = registry_facts(
            repo, inv(), loaded, online=env_flag(ONLINE_ENV), db=db(), now=now_utc()
        )
    return _FACTS[repo]
