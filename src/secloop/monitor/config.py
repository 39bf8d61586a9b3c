"""The monitor configuration: `.secloop/monitor.toml` (or `--config FILE`), one typed model.

```toml
timezone = "Europe/Berlin"        # of classic syslog stamps, which carry none
locations = "geo.csv"             # ip,lat,lon (or a JSON object ip -> [lat, lon]); CIDRs allowed
[[sources]]
path = "/var/log/auth.log"
format = "syslog"
[json]                            # field names of JSON application logs (dotted for nesting)
account = ["user.name"]
[json.events]                     # values of the event field -> vocabulary names
"login.failed" = "authn_login_fail"
[detections.brute-force]
threshold = 8
window = "10m"
[exporter]
listen = "127.0.0.1:9465"
```
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from secloop.core.errors import ConfigError, Place

DEFAULT_PATH = ".secloop/monitor.toml"
FORMATS = ("auto", "syslog", "json", "access", "k8s")
SeverityName = Literal["critical", "high", "medium", "low", "info"]

_DURATION = re.compile(r"(\d+)(s|m|h|d)")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(value: Any) -> Any:
    """ "90s", "10m", "1h30m", "2d" or a number of seconds."""
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 10m, 1h)")
        return sum(int(n) * _UNIT[u] for n, u in parts)
    return value


class Detection(BaseModel):
    """One detection's thresholds. `reset` and `quiet` give the hysteresis."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    severity: SeverityName = "high"
    threshold: int = Field(default=8, ge=1, description="Open an incident at this many events in the window.")
    window: int = Field(default=600, ge=1, description="Sliding window, seconds (or 10m, 1h…).")
    reset: int | None = Field(
        default=None, ge=0, description="Close only below this count (default: half the threshold)."
    )
    quiet: int | None = Field(
        default=None, ge=0, description="…and after this long without a new event (default: the window)."
    )
    max_per_account: int = Field(default=2, ge=1, description="password-spraying: attempts per account.")
    max_speed_kmh: float = Field(default=1000.0, gt=0, description="impossible-travel: fastest plausible.")
    min_distance_km: float = Field(default=200.0, ge=0, description="impossible-travel: ignore closer.")

    @field_validator("window", "quiet", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return seconds(value)

    @property
    def reset_below(self) -> int:
        return self.reset if self.reset is not None else max(1, self.threshold // 2)

    @property
    def quiet_for(self) -> int:
        return self.quiet if self.quiet is not None else self.window


DEFAULT_DETECTIONS: dict[str, Detection] = {
    "brute-force": Detection(severity="high", threshold=8, window=600),
    "credential-stuffing": Detection(severity="high", threshold=8, window=600),
    "password-spraying": Detection(severity="high", threshold=5, window=3600, max_per_account=2),
    "success-after-failures": Detection(severity="critical", threshold=5, window=3600),
    "account-lockout": Detection(severity="medium", threshold=1, window=3600),
    "authz-failure-burst": Detection(severity="medium", threshold=10, window=300),
    "impossible-travel": Detection(severity="high", threshold=1, window=86400),
}


class JsonMapping(BaseModel):
    """Where a JSON application log keeps each field; the first key present wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time: tuple[str, ...] = ("time", "timestamp", "@timestamp", "datetime", "ts")
    event: tuple[str, ...] = ("event", "event_type", "event.action", "action")
    ip: tuple[str, ...] = ("source_ip", "src_ip", "client_ip", "remote_addr", "ip", "client.ip", "source.ip")
    account: tuple[str, ...] = ("user", "username", "account", "userid", "user_id", "user.name")
    outcome: tuple[str, ...] = ("outcome", "result", "event.outcome")
    lat: tuple[str, ...] = ("lat", "latitude", "geo.lat", "source.geo.location.lat")
    lon: tuple[str, ...] = ("lon", "longitude", "geo.lon", "source.geo.location.lon")
    events: dict[str, str] = Field(default_factory=dict, description="event value -> vocabulary name")

    @field_validator("time", "event", "ip", "account", "outcome", "lat", "lon", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    format: Literal["auto", "syslog", "json", "access", "k8s"] = "auto"


class Exporter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    listen: str = "127.0.0.1:9465"


class MonitorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    locations: str | None = None
    max_keys: int = Field(default=100_000, ge=100, description="Tracked keys per detection (LRU beyond).")
    sources: tuple[SourceEntry, ...] = ()
    json_fields: JsonMapping = Field(default_factory=JsonMapping, alias="json")
    detections: dict[str, Detection] = Field(default_factory=dict)
    exporter: Exporter | None = None

    @field_validator("detections")
    @classmethod
    def _known(cls, value: dict[str, Detection]) -> dict[str, Detection]:
        unknown = sorted(set(value) - set(DEFAULT_DETECTIONS))
        if unknown:
            raise ValueError(f"unknown detection {unknown[0]!r} (known: {', '.join(DEFAULT_DETECTIONS)})")
        return value

    def detection(self, name: str) -> Detection:
        return self.detections.get(name, DEFAULT_DETECTIONS[name])


def _merged(raw: dict[str, Any]) -> dict[str, Any]:
    """Detection tables override the defaults key by key (severity stays unless given)."""
    tables = raw.get("detections")
    if not isinstance(tables, dict):
        return raw
    merged = {}
    for name, table in tables.items():
        base = DEFAULT_DETECTIONS.get(name)
        known = base is not None and isinstance(table, dict)
        merged[name] = {**base.model_dump(), **table} if base is not None and known else table
    return {**raw, "detections": merged}


def _line_of(text: str, keys: list[str]) -> int | None:
    for key in reversed(keys):
        rx = re.compile(rf"^\s*(?:\[+[^\]]*)?\"?{re.escape(key)}\"?\s*[=\].]")
        for number, line in enumerate(text.splitlines(), 1):
            if rx.match(line):
                return number
    return None


def load_monitor_config(path: Path | None) -> tuple[MonitorConfig, Path | None]:
    if path is None:
        return MonitorConfig(), None
    try:
        text = path.read_text("utf-8")
        raw = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read monitor config: {exc.strerror}", place=Place(str(path))) from exc
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(match.group(1)) if match else None
        message = f"not valid TOML: {str(exc).split(' (at line')[0]}"
        raise ConfigError(message, place=Place(str(path), line)) from exc
    try:
        return MonitorConfig.model_validate(_merged(raw)), path
    except ValidationError as exc:
        err = exc.errors()[0]
        keys = [str(part) for part in err["loc"]]
        where = ".".join(keys) or "(table)"
        raise ConfigError(
            f"option '{where}': {err['msg']}",
            place=Place(str(path), _line_of(text, keys)),
            hint="see docs/commands/monitor.md for every option",
        ) from exc
