"""The deps engine's own settings: `.secloop/deps.toml` (policy, registries, advisory ignores).

Kept apart from the main configuration so the engine can grow options without touching the shared
`Config` model; a malformed file is an `InputError` naming file:line.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from secloop.core.errors import InputError, Place

SETTINGS_FILE = ".secloop/deps.toml"
MAX_IGNORE = timedelta(days=366)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cooldown_days: int = Field(
        default=14,
        ge=0,
        le=365,
        description="A pin released fewer days than this before the lock is flagged.",
    )
    update_days: int = Field(
        default=30, ge=1, description="A direct pin behind a release newer by more than this is flagged."
    )
    unmaintained_days: int = Field(
        default=730, ge=30, description="No release for this long: the package counts as unmaintained."
    )
    min_weekly_downloads: int = Field(
        default=1000, ge=0, description="npm packages below this many weekly downloads are little used."
    )


class RegistrySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pypi_url: str | None = Field(default=None, description="Base of the PyPI JSON API (…/pypi).")
    npm_url: str | None = Field(default=None, description="Base of the npm registry.")
    npm_downloads_url: str | None = Field(default=None, description="Base of the npm downloads API.")
    github_api_url: str | None = Field(
        default=None, description="Base of the GitHub REST API (archived repositories)."
    )
    ttl_hours: float = Field(default=24.0, gt=0, description="Cached metadata younger than this is reused.")


class Ignore(BaseModel):
    """One accepted advisory: which one, for which package, why and until when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=3, description="Advisory id or one of its aliases (GHSA, PYSEC, CVE).")
    package: str = Field(min_length=1, description="Package name, as the lockfile names it.")
    reason: str = Field(min_length=3, description="Why the advisory does not apply. Mandatory.")
    expires: date = Field(description="Last day the ignore applies; at most one year after today.")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reason must not be blank")
        return value


class DepsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: Policy = Field(default_factory=Policy)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    ignore: tuple[Ignore, ...] = ()


class LoadedSettings:
    """The settings and the line of each ignore entry (for findings about expired ones)."""

    def __init__(self, settings: DepsSettings, path: str | None, ignore_lines: tuple[int, ...]) -> None:
        self.settings = settings
        self.path = path
        self.ignore_lines = ignore_lines


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    lines = text.splitlines()
    start = 0
    if loc and loc[0] == "ignore" and len(loc) > 1 and isinstance(loc[1], int):
        heads = [i for i, line in enumerate(lines) if line.strip() == "[[ignore]]"]
        if loc[1] < len(heads):
            start = heads[loc[1]]
    elif loc and isinstance(loc[0], str):
        for i, line in enumerate(lines):
            if line.strip() == f"[{loc[0]}]":
                start = i
                break
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), None)
    if key is not None:
        rx = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start, len(lines)):
            if rx.match(lines[i]):
                return i + 1
            if i > start and lines[i].lstrip().startswith("["):
                break
    return start + 1


def parse_settings(text: str, where: str, *, today: date) -> LoadedSettings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        raise InputError(
            f"not valid TOML: {str(exc).split(' (at line')[0]}",
            place=Place(where, line, col),
            hint="fix the TOML syntax (https://toml.io)",
        ) from exc
    try:
        settings = DepsSettings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        name = ".".join(str(p) for p in loc) or "(table)"
        message = (
            f"unknown option '{name}'" if err["type"] == "extra_forbidden" else f"'{name}': {err['msg']}"
        )
        raise InputError(
            message,
            place=Place(where, _line_of(text, loc)),
            hint="see docs/commands/scan-deps.md for the options of .secloop/deps.toml",
        ) from exc
    heads = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip() == "[[ignore]]"]
    lines = tuple(heads[: len(settings.ignore)])
    for n, entry in enumerate(settings.ignore):
        # The one-year cap is checked against the day the ignore is read: an ignore cannot be written
        # for longer, and an old one runs out rather than being renewed silently.
        if entry.expires - today > MAX_IGNORE:
            raise InputError(
                f"ignore of {entry.id} for {entry.package}: expires {entry.expires}, "
                "more than one year ahead",
                place=Place(where, _line_of(text, ("ignore", n, "expires"))),
                hint=f"choose an expiry on or before {today + MAX_IGNORE}",
            )
    return LoadedSettings(settings, where, lines)


def load_settings(root: Path, *, today: date) -> LoadedSettings:
    path = root / SETTINGS_FILE
    if not path.is_file():
        return LoadedSettings(DepsSettings(), None, ())
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", place=Place(SETTINGS_FILE)) from exc
    return parse_settings(text, SETTINGS_FILE, today=today)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on", "online")


def now_utc() -> datetime:
    """The wall clock, or SOURCE_DATE_EPOCH when set (reproducible runs and tests)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)
