"""Server settings: options from the environment or a TOML file, secrets only from the environment.

A secret is read from `NAME` or from the file named by `NAME_FILE` (the Docker/Kubernetes secrets
convention). The configuration file may hold options but never a secret: a secret there is an error,
because configuration files end up in repositories.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secloop.core.errors import ConfigError, Place, UsageError

MIN_SECRET_KEY = 32
KEY_HINT = (
    "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'` and pass it as "
    "SECLOOP_SECRET_KEY or in a file named by SECLOOP_SECRET_KEY_FILE"
)
# The environment variables that hold the secrets (names, not values).
SECRETS = {
    "secret_key": "SECLOOP_SECRET_KEY",  # nosec B105
    "github_webhook_secret": "SECLOOP_WEBHOOK_SECRET",  # nosec B105
    "alertmanager_token": "SECLOOP_ALERTMANAGER_TOKEN",  # nosec B105
    "gitlab_webhook_token": "SECLOOP_GITLAB_TOKEN",  # nosec B105
    "pagerduty_webhook_secret": "SECLOOP_PAGERDUTY_SECRET",  # nosec B105
    # URLs may carry a password, so they are read like secrets.
    "redis_url": "SECLOOP_REDIS_URL",
    "broker_url": "SECLOOP_BROKER_URL",
}
# Options: (environment variable, type). Everything here may also be set in the [server] table.
OPTIONS: Mapping[str, tuple[str, type]] = {
    "db": ("SECLOOP_DB", str),
    "session_hours": ("SECLOOP_SESSION_HOURS", float),
    "lockout_failures": ("SECLOOP_LOCKOUT_FAILURES", int),
    "lockout_minutes": ("SECLOOP_LOCKOUT_MINUTES", int),
    "login_rate_per_minute": ("SECLOOP_LOGIN_RATE", int),
    "api_rate_per_minute": ("SECLOOP_API_RATE", int),
    "max_body_bytes": ("SECLOOP_MAX_BODY", int),
    "flags_file": ("SECLOOP_FLAGS_FILE", str),
    "session_idle_minutes": ("SECLOOP_SESSION_IDLE_MINUTES", float),
    "queue": ("SECLOOP_QUEUE", str),
}


@dataclass(frozen=True)
class Settings:
    """Everything the app factory needs. Secrets are excluded from repr so they never reach a log."""

    db: str
    secret_key: str = field(repr=False)
    github_webhook_secret: str | None = field(default=None, repr=False)
    alertmanager_token: str | None = field(default=None, repr=False)
    gitlab_webhook_token: str | None = field(default=None, repr=False)
    pagerduty_webhook_secret: str | None = field(default=None, repr=False)
    # Rate limits are shared by every server process through this Redis (else each counts alone).
    redis_url: str | None = field(default=None, repr=False)
    # Pushes are scanned by the workers of this broker (none: pushes are only recorded).
    broker_url: str | None = field(default=None, repr=False)
    session_hours: float = 12.0
    lockout_failures: int = 5
    lockout_minutes: int = 15
    login_rate_per_minute: int = 10
    api_rate_per_minute: int = 1200
    max_body_bytes: int = 1024 * 1024
    flags_file: str | None = None  # the flags file the flag service serves (none: no flag service)
    session_idle_minutes: float = (
        30.0  # a session unused this long ends (sessions also end after session_hours)
    )
    queue: str = "secloop"
    # Tests only (never read from the environment or a file): let pushes name file:// clone URLs.
    allow_file_urls: bool = False

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_KEY:
            raise UsageError(
                f"the secret key is too short ({len(self.secret_key)} characters, at least "
                f"{MIN_SECRET_KEY} are needed)",
                hint=KEY_HINT,
            )
        for name in (
            "session_hours",
            "session_idle_minutes",
            "lockout_failures",
            "lockout_minutes",
            "login_rate_per_minute",
        ):
            if getattr(self, name) <= 0:
                raise UsageError(f"{name} must be positive, got {getattr(self, name)}")
        if self.api_rate_per_minute <= 0 or self.max_body_bytes <= 0:
            raise UsageError("api_rate_per_minute and max_body_bytes must be positive")


def _secret(environ: Mapping[str, str], variable: str) -> str | None:
    direct = environ.get(variable)
    path = environ.get(f"{variable}_FILE")
    if direct and path:
        raise UsageError(f"both {variable} and {variable}_FILE are set", hint="set one of them, not both")
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(
                f"cannot read the secrets file named by {variable}_FILE: {exc.strerror or exc}",
                place=Place(path),
                hint="check the path and that the server may read it",
            ) from None
        if not value:
            raise UsageError(f"the secrets file named by {variable}_FILE is empty", place=Place(path))
        return value
    return direct or None


def _convert(name: str, kind: type, raw: object, place: Place | None) -> Any:
    try:
        if kind is str and isinstance(raw, str):
            return raw
        if kind is int and not isinstance(raw, bool) and isinstance(raw, int | str):
            return int(raw)
        if kind is float and not isinstance(raw, bool) and isinstance(raw, int | float | str):
            return float(raw)
    except ValueError:
        pass
    error = ConfigError if place is not None else UsageError  # a file's mistake, or the environment's
    raise error(f"{name} must be {'a number' if kind is not str else 'a string'}, got {raw!r}", place=place)


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read the server configuration: {exc.strerror or exc}", place=Place(str(path))
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", place=Place(str(path))) from None
    table = data.get("server", {})
    if not isinstance(table, dict):
        raise ConfigError("[server] must be a table", place=Place(str(path)))
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in SECRETS:
            raise ConfigError(
                f"'{key}' is a secret and is never read from a configuration file",
                place=Place(str(path)),
                hint=f"remove it and set {SECRETS[key]} (or {SECRETS[key]}_FILE) in the environment",
            )
        if key not in OPTIONS:
            raise ConfigError(
                f"unknown option '{key}' in [server]",
                place=Place(str(path)),
                hint=f"known options: {', '.join(sorted(OPTIONS))}",
            )
        out[key] = _convert(key, OPTIONS[key][1], value, Place(str(path)))
    return out


def load_settings(environ: Mapping[str, str], config_file: Path | None = None) -> Settings:
    """Settings from a configuration file (optional), overridden by the environment.

    Raises UsageError when the secret key is missing or weak, ConfigError for a bad file.
    """
    values: dict[str, Any] = _from_file(config_file) if config_file is not None else {}
    for name, (variable, kind) in OPTIONS.items():
        if environ.get(variable):
            values[name] = _convert(variable, kind, environ[variable], None)
    secret_key = _secret(environ, SECRETS["secret_key"])
    if secret_key is None:
        raise UsageError("SECLOOP_SECRET_KEY is not set; the server has no default key", hint=KEY_HINT)
    if "db" not in values:
        from secloop.store import default_url

        values["db"] = default_url()
    return Settings(
        secret_key=secret_key,
        github_webhook_secret=_secret(environ, SECRETS["github_webhook_secret"]),
        alertmanager_token=_secret(environ, SECRETS["alertmanager_token"]),
        gitlab_webhook_token=_secret(environ, SECRETS["gitlab_webhook_token"]),
        pagerduty_webhook_secret=_secret(environ, SECRETS["pagerduty_webhook_secret"]),
        redis_url=_secret(environ, SECRETS["redis_url"]),
        broker_url=_secret(environ, SECRETS["broker_url"]),
        **values,
    )
