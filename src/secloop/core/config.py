"""Configuration: `[tool.secloop]` in pyproject.toml or `secloop.toml`, one typed model."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from secloop.core.enums import Severity
from secloop.core.errors import ConfigError, Place

FailOn = Literal["critical", "high", "medium", "low", "info", "none"]


class SuppressionEntry(BaseModel):
    """A suppression kept in a file: which rule, where, why and until when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(description="Rule id to suppress, or '*' for every rule.")
    path: str | None = Field(default=None, description="fnmatch pattern of the paths it applies to.")
    fingerprint: str | None = Field(default=None, description="Only the finding with this fingerprint.")
    reason: str = Field(min_length=3, description="Why this finding is accepted. Mandatory.")
    expires: date | None = Field(default=None, description="After this date the suppression lapses.")


class Config(BaseModel):
    """Every option of secloop; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fail_on: FailOn = Field(
        default="high", description="Fail the gate on active findings at or above this severity."
    )
    fail_on_unknown: bool = Field(
        default=False, description="Fail the gate when a required practice is unknown (fail closed)."
    )
    required_practices: tuple[str, ...] = Field(
        default=(), description="Practices the unknown-gate applies to; empty means all of them."
    )
    exclude: tuple[str, ...] = Field(default=(), description="fnmatch patterns of paths never read.")
    baseline: str = Field(
        default=".secloop/baseline.json", description="Baseline file, relative to the repository."
    )
    suppressions_file: str = Field(
        default=".secloop/suppressions.toml",
        description="TOML file with [[suppress]] entries, relative to the repository.",
    )
    suppress: tuple[SuppressionEntry, ...] = Field(default=(), description="Suppressions kept in config.")
    audit: bool = Field(default=False, description="Audit mode: ignore inline suppressions.")
    release_tag_pattern: str = Field(
        default="v*", description="Git tags matching this pattern are production deployments."
    )
    events_file: str = Field(
        default=".secloop/events.jsonl", description="Delivery events (deployments, incidents)."
    )
    working_hours: str = Field(
        default="09:00-17:00", description="Working hours for release timing, HH:MM-HH:MM, local time."
    )
    working_days: str = Field(default="mon-fri", description="Working days for release timing, e.g. mon-fri.")
    timezone: str = Field(default="UTC", description="The team's IANA time zone, for release timing.")

    @field_validator("fail_on", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @property
    def fail_on_severity(self) -> Severity | None:
        return None if self.fail_on == "none" else Severity(self.fail_on)

    def digest(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _locate(text: str, table_header: str | None, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line of the key named by a pydantic error location inside a TOML table."""
    lines = text.splitlines()
    start = 0
    if table_header is not None:
        for i, line in enumerate(lines):
            if line.strip() == table_header:
                start = i
                break
    keys = [str(part) for part in loc if isinstance(part, str)]
    for key in reversed(keys):
        rx = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
        for i in range(start, len(lines)):
            if rx.match(lines[i]):
                return i + 1
    return start + 1 if table_header is not None else None


def _toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", place=Place(str(path))) from exc
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        raise ConfigError(
            f"not valid TOML: {str(exc).split(' (at line')[0]}",
            place=Place(str(path), line, col),
            hint="fix the TOML syntax (https://toml.io)",
        ) from exc


def parse_config(path: Path, table: dict[str, Any], text: str, header: str | None) -> Config:
    try:
        return Config.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(table)"
        msg = err["msg"]
        hint = "run `secloop config` to see every option and its meaning"
        if err["type"] == "extra_forbidden":
            msg = f"unknown option '{where}'"
            names = ", ".join(sorted(Config.model_fields))
            hint = f"known options: {names}"
        else:
            msg = f"option '{where}': {msg}"
        raise ConfigError(msg, place=Place(str(path), _locate(text, header, loc)), hint=hint) from exc


def load_config(root: Path, explicit: Path | None = None) -> tuple[Config, Path | None]:
    """Find and validate the configuration for the repository at ``root``."""
    if explicit is not None:
        text, data = _toml(explicit)
        if explicit.name == "pyproject.toml":
            table = data.get("tool", {}).get("secloop", {})
            return parse_config(explicit, table, text, "[tool.secloop]"), explicit
        return parse_config(explicit, data, text, None), explicit
    standalone = root / "secloop.toml"
    if standalone.is_file():
        text, data = _toml(standalone)
        return parse_config(standalone, data, text, None), standalone
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        text, data = _toml(pyproject)
        table = data.get("tool", {}).get("secloop")
        if table is not None:
            return parse_config(pyproject, table, text, "[tool.secloop]"), pyproject
    return Config(), None


def load_suppressions_file(path: Path) -> tuple[SuppressionEntry, ...]:
    if not path.is_file():
        return ()
    text, data = _toml(path)
    entries = data.get("suppress", [])
    extra = set(data) - {"suppress"}
    if extra:
        raise ConfigError(
            f"unknown table '{sorted(extra)[0]}'",
            place=Place(str(path), _locate(text, None, (sorted(extra)[0],))),
            hint="a suppressions file holds only [[suppress]] entries",
        )
    result: list[SuppressionEntry] = []
    for index, entry in enumerate(entries):
        try:
            result.append(SuppressionEntry.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            line = _nth_header_line(text, "[[suppress]]", index)
            raise ConfigError(
                f"suppression #{index + 1}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}",
                place=Place(str(path), line),
                hint="each [[suppress]] needs rule and reason; expires is a date (YYYY-MM-DD)",
            ) from exc
    return tuple(result)


def _nth_header_line(text: str, header: str, index: int) -> int | None:
    count = -1
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == header:
            count += 1
            if count == index:
                return number
    return None
