"""Dependency update configuration: Dependabot and Renovate entries, and release-age cooldowns.

A cooldown is any setting that makes new releases wait before they are adopted: Dependabot's
`cooldown:`, Renovate's `minimumReleaseAge` (or the older `stabilityDays`), uv's `exclude-newer`,
pnpm's `minimumReleaseAge` (minutes), npm's `min-release-age` (days), Yarn's `npmMinimalAgeGate`
(minutes or a duration) and Bun's `minimumReleaseAge` (seconds). Every value is normalised to days.
"""

from __future__ import annotations

import re
import tomllib
import weakref
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from secloop.core.model import Skipped
from secloop.sources.ci import nodes as n
from secloop.sources.repo import Repo

DEPENDABOT = (".github/dependabot.yml", ".github/dependabot.yaml")
RENOVATE = (
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.json5",
)


@dataclass(frozen=True, slots=True)
class Cooldown:
    tool: str
    path: str
    line: int
    days: float
    setting: str  # the setting as written, for evidence

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.tool} {self.setting} ({format_days(self.days)})"


@dataclass(frozen=True, slots=True)
class UpdateEntry:
    """One Dependabot `updates:` entry, or one Renovate configuration (ecosystem "*")."""

    tool: str
    path: str
    line: int
    ecosystem: str
    directory: str = "/"
    schedule: str | None = None  # Dependabot interval or Renovate schedule; None: at any time
    cooldown: Cooldown | None = None
    enabled: bool = True

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def label(self) -> str:
        return f"dependabot ({self.ecosystem}, {self.directory})" if self.tool == "dependabot" else self.tool


@dataclass(frozen=True, slots=True)
class UpdateConfig:
    entries: tuple[UpdateEntry, ...] = ()
    package_manager_cooldowns: tuple[Cooldown, ...] = ()
    skipped: tuple[Skipped, ...] = ()


def format_days(days: float) -> str:
    return f"{days:g} day" + ("" if days == 1 else "s")


_UNIT_DAYS = {
    "s": 1 / 86400,
    "sec": 1 / 86400,
    "second": 1 / 86400,
    "m": 1 / 1440,
    "min": 1 / 1440,
    "minute": 1 / 1440,
    "h": 1 / 24,
    "hr": 1 / 24,
    "hour": 1 / 24,
    "d": 1.0,
    "day": 1.0,
    "w": 7.0,
    "week": 7.0,
    "month": 30.0,
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_ISO = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.IGNORECASE)


def parse_duration_days(text: str) -> float | None:
    """'14 days', '3 weeks', '2w', '36 hours', 'P14D' -> days; None when it is not a duration."""
    text = text.strip().lower()
    iso = _ISO.match(text)
    if iso and any(iso.groups()):
        w, d, h, m, s = (float(g or 0) for g in iso.groups())
        return w * 7 + d + h / 24 + m / 1440 + s / 86400
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip(" ,and"):
        return None
    total = 0.0
    for number, unit in parts:
        unit = unit.rstrip("s") if unit not in ("s",) else unit
        if unit not in _UNIT_DAYS:
            return None
        total += float(number) * _UNIT_DAYS[unit]
    return total


def _line_of(text: str, pattern: re.Pattern[str]) -> int:
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_SLOW = re.compile(rf"quarter|semiannual|year|annual|every\s+(?:[2-9]|1[0-2])\s+months|\b(?:{_MONTHS})\b")
_CRON = re.compile(
    r"^(?:cron\s+)?([\d*/,\-]+)\s+([\d*/,\-]+)\s+([\d*/,\-lw?]+)\s+([\w*/,\-]+)\s+([\w*/,\-?#]+)$"
)


def at_least_monthly(schedule: str | None) -> bool:
    """Whether an update schedule runs at least once a month (no schedule means at any time)."""
    if schedule is None:
        return True
    text = schedule.strip().lower()
    cron = _CRON.match(text)
    if cron:
        return cron.group(4) == "*"
    return _SLOW.search(text) is None


# -- Dependabot ------------------------------------------------------------------------------------


def _dependabot(path: str, text: str, skipped: list[Skipped]) -> list[UpdateEntry]:
    root = n.compose_mapping(path, text, skipped)
    entries: list[UpdateEntry] = []
    for item in n.seq(n.get(root, "updates")):
        eco = n.get(item, "package-ecosystem")
        if eco is None:
            continue
        schedule = n.get(item, "schedule")
        interval = n.scalar(n.get(schedule, "interval"))
        if interval == "cron":
            interval = f"cron {n.scalar(n.get(schedule, 'cronjob')) or ''}".strip()
        cooldown = None
        block = n.get(item, "cooldown")
        if block is not None:
            default = float(n.scalar(n.get(block, "default-days")) or 0)
            semver = [n.scalar(n.get(block, f"semver-{k}-days")) for k in ("major", "minor", "patch")]
            days = min(float(v) if v else default for v in semver)
            setting = f"cooldown default-days: {default:g}"
            cooldown = Cooldown("dependabot", path, n.line(block), days, setting)
        directory = n.scalar(n.get(item, "directory")) or ", ".join(n.strings(n.get(item, "directories")))
        entries.append(
            UpdateEntry(
                "dependabot", path, n.line(eco), n.scalar(eco) or "", directory or "/", interval, cooldown
            )
        )
    return entries


# -- Renovate --------------------------------------------------------------------------------------

_RENOVATE_AGE = re.compile(r"[\"']?minimumReleaseAge[\"']?\s*:\s*[\"']([^\"']+)[\"']")
_RENOVATE_STABILITY = re.compile(r"[\"']?stabilityDays[\"']?\s*:\s*(\d+)")
# `config:best-practices` includes `security:minimumReleaseAgeNpm`: three days, for npm only.
_RENOVATE_NPM_PRESET = re.compile(r"[\"'](?:config:best-practices|security:minimumReleaseAgeNpm)[\"']")
_RENOVATE_SCHEDULE = re.compile(r"[\"']?schedule[\"']?\s*:\s*\[?\s*[\"']([^\"']+)[\"']")
_RENOVATE_SCHEDULE_PRESET = re.compile(r"[\"']schedule:(\w+)[\"']")
_RENOVATE_DISABLED = re.compile(r"^\s*[\"']?enabled[\"']?\s*:\s*false", re.MULTILINE)


def _renovate(path: str, text: str, line: int = 1) -> UpdateEntry:
    cooldowns: list[Cooldown] = []
    for match in _RENOVATE_AGE.finditer(text):
        days = parse_duration_days(match.group(1))
        if days is not None:
            line = text.count("\n", 0, match.start()) + 1
            cooldowns.append(Cooldown("renovate", path, line, days, f"minimumReleaseAge: {match.group(1)}"))
    for match in _RENOVATE_STABILITY.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        days = float(match.group(1))
        cooldowns.append(Cooldown("renovate", path, line, days, f"stabilityDays: {match.group(1)}"))
    preset = _RENOVATE_NPM_PRESET.search(text)
    if preset and not cooldowns:
        line = text.count("\n", 0, preset.start()) + 1
        cooldowns.append(Cooldown("renovate", path, line, 3, f"preset {preset.group(0)} (npm only)"))
    schedule = _RENOVATE_SCHEDULE.search(text) or _RENOVATE_SCHEDULE_PRESET.search(text)
    return UpdateEntry(
        "renovate",
        path,
        line,
        "*",
        schedule=schedule.group(1) if schedule else None,
        cooldown=min(cooldowns, key=lambda c: c.days) if cooldowns else None,
        enabled=_RENOVATE_DISABLED.search(text) is None,
    )


# -- package managers ------------------------------------------------------------------------------


def _uv(path: str, text: str, table: dict[str, object], now: datetime) -> Cooldown | None:
    value = table.get("exclude-newer")
    if not isinstance(value, str | date | datetime) or isinstance(value, bool):
        return None
    line = _line_of(text, re.compile(r"^\s*exclude-newer\s*=", re.MULTILINE))
    days = parse_duration_days(value) if isinstance(value, str) else None
    if days is not None:
        return Cooldown("uv", path, line, days, f"exclude-newer = {value!r}")
    cutoff = _as_datetime(value)
    if cutoff is None:
        return None
    days = max((now - cutoff).total_seconds() / 86400, 0.0)
    setting = f"exclude-newer = {value!s}, a fixed date, measured from HEAD's commit"
    return Cooldown("uv", path, line, round(days, 1), setting)


def _as_datetime(value: str | date | datetime) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _number_setting(tool: str, path: str, text: str, key: str, unit_days: float) -> Cooldown | None:
    match = re.search(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]\s*[\"']?([^\s\"'#]+)", text, re.MULTILINE)
    if not match:
        return None
    raw = match.group(1)
    days = float(raw) * unit_days if re.fullmatch(r"\d+(?:\.\d+)?", raw) else parse_duration_days(raw)
    if days is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return Cooldown(tool, path, line, round(days, 2), f"{key} {raw}")


def _package_managers(repo: Repo, now: datetime, skipped: list[Skipped]) -> list[Cooldown]:
    found: list[Cooldown] = []
    for rel in ("pyproject.toml", "uv.toml"):
        text = repo.read_text(rel) if repo.exists(rel) else None
        if text is None:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            skipped.append(Skipped(rel, f"invalid TOML: {exc}"))
            continue
        tool = data.get("tool")
        table = data if rel == "uv.toml" else (tool.get("uv", {}) if isinstance(tool, dict) else {})
        cooldown = _uv(rel, text, table if isinstance(table, dict) else {}, now)
        if cooldown:
            found.append(cooldown)
    settings = (
        ("pnpm", "pnpm-workspace.yaml", "minimumReleaseAge", 1 / 1440),
        ("pnpm", ".npmrc", "minimum-release-age", 1 / 1440),
        ("npm", ".npmrc", "min-release-age", 1.0),
        ("yarn", ".yarnrc.yml", "npmMinimalAgeGate", 1 / 1440),
        ("bun", "bunfig.toml", "minimumReleaseAge", 1 / 86400),
    )
    for tool, rel, key, unit in settings:
        text = repo.read_text(rel) if repo.exists(rel) else None
        cooldown = _number_setting(tool, rel, text, key, unit) if text else None
        if cooldown:
            found.append(cooldown)
    return found


_CACHE: weakref.WeakKeyDictionary[Repo, UpdateConfig] = weakref.WeakKeyDictionary()


def load_updates(repo: Repo) -> UpdateConfig:
    """Every update-tool entry and package-manager cooldown; a fixed uv date is measured from HEAD."""
    cached = _CACHE.get(repo)
    if cached is not None:
        return cached
    now = repo.head_time() or datetime.now(tz=UTC)
    skipped: list[Skipped] = []
    entries: list[UpdateEntry] = []
    for rel in DEPENDABOT:
        text = repo.read_text(rel) if repo.exists(rel) else None
        if text is not None:
            entries.extend(_dependabot(rel, text, skipped))
    for rel in RENOVATE:
        text = repo.read_text(rel) if repo.exists(rel) else None
        if text is not None:
            entries.append(_renovate(rel, text))
    package_json = repo.read_text("package.json") if repo.exists("package.json") else None
    key = re.compile(r"^\s{0,4}\"renovate\"\s*:", re.MULTILINE)
    if package_json and key.search(package_json):
        entries.append(_renovate("package.json", package_json, _line_of(package_json, key)))
    result = UpdateConfig(tuple(entries), tuple(_package_managers(repo, now, skipped)), tuple(skipped))
    _CACHE[repo] = result
    return result
