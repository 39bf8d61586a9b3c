"""The probe configuration (probe.yml) and the safety checks made before any request is sent.

```yaml
allow_hosts: [staging.example.org]  # besides loopback, the only hosts ever probed
rate: 5                             # requests per second
max_requests: 300
time_budget: 60                     # seconds for the whole run
timeout: 5                          # seconds per request
methods: [GET, HEAD, OPTIONS]
expired:                            # credentials that have expired, by security scheme name
  bearerAuth: <token>
expect:                             # statuses that count as refused, by "METHOD /path" or operationId
  "GET /reports/{id}": [401, 403, 404]
parameters: {id: "42"}              # path/query parameter values
skip: ["GET /internal/debug"]
ca_file: ca.pem                     # extra CA to trust when checking the certificate
```
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from secloop.core.errors import InputError, UsageError, place_of
from secloop.sources.yaml_lines import YamlMap, load_yaml

SAFE_METHODS: tuple[str, ...] = ("GET", "HEAD", "OPTIONS")
ALL_METHODS: tuple[str, ...] = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE")
_KEYS = {
    "allow_hosts",
    "rate",
    "max_requests",
    "time_budget",
    "timeout",
    "methods",
    "expired",
    "expect",
    "parameters",
    "skip",
    "ca_file",
}


@dataclass(frozen=True)
class ProbeConfig:
    allow_hosts: tuple[str, ...] = ()
    rate: float = 10.0
    max_requests: int = 500
    time_budget: float = 120.0
    timeout: float = 5.0
    methods: tuple[str, ...] = SAFE_METHODS
    expired: dict[str, str] = field(default_factory=dict)
    expect: dict[str, tuple[int, ...]] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    skip: tuple[str, ...] = ()
    ca_file: str | None = None
    path: str | None = None

    def expected(self, method: str, path: str, operation_id: str | None) -> tuple[int, ...]:
        for key in (f"{method} {path}", operation_id or ""):
            if key in self.expect:
                return self.expect[key]
        return (401, 403)


def _positive(node: YamlMap, key: str, default: float, path: str) -> float:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError(f"`{key}` must be a positive number", place=place_of(path, node.line_of(key)))
    return float(value)


def _strings(node: YamlMap, key: str, path: str) -> tuple[str, ...]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"`{key}` must be a list of strings", place=place_of(path, node.line_of(key)))
    return tuple(value)


def _mapping(node: YamlMap, key: str, path: str) -> YamlMap:
    value = node.get(key, YamlMap(node.line_of(key)))
    if not isinstance(value, YamlMap):
        raise InputError(f"`{key}` must be a mapping", place=place_of(path, node.line_of(key)))
    return value


def parse_config(text: str, path: str) -> ProbeConfig:
    docs, skipped = load_yaml(text, path)
    if skipped is not None:
        raise InputError(skipped.reason, place=place_of(path, skipped.line, skipped.column))
    root: Any = docs[0] if docs else YamlMap(1)
    if root is None:
        root = YamlMap(1)
    if not isinstance(root, YamlMap):
        raise InputError("the probe configuration must be a mapping", place=place_of(path, 1))
    for key in root:
        if key not in _KEYS:
            raise InputError(
                f"unknown key {key!r}",
                place=place_of(path, root.line_of(key)),
                hint=f"use: {', '.join(sorted(_KEYS))}",
            )
    methods = tuple(m.upper() for m in _strings(root, "methods", path)) or SAFE_METHODS
    for method in methods:
        if method not in ALL_METHODS:
            raise InputError(f"unknown method {method!r}", place=place_of(path, root.line_of("methods")))
    expect: dict[str, tuple[int, ...]] = {}
    raw_expect = _mapping(root, "expect", path)
    for key, codes in raw_expect.items():
        if not isinstance(codes, list) or not all(isinstance(c, int) and 100 <= c <= 599 for c in codes):
            raise InputError(
                f"`expect` of {key!r} must be a list of HTTP statuses",
                place=place_of(path, raw_expect.line_of(key)),
            )
        expect[str(key)] = tuple(codes)
    ca_file = root.get("ca_file")
    if ca_file is not None and not isinstance(ca_file, str):
        raise InputError("`ca_file` must be a path", place=place_of(path, root.line_of("ca_file")))
    max_requests = _positive(root, "max_requests", 500, path)
    return ProbeConfig(
        allow_hosts=tuple(h.lower() for h in _strings(root, "allow_hosts", path)),
        rate=_positive(root, "rate", 10.0, path),
        max_requests=int(max_requests),
        time_budget=_positive(root, "time_budget", 120.0, path),
        timeout=_positive(root, "timeout", 5.0, path),
        methods=methods,
        expired={str(k): str(v) for k, v in _mapping(root, "expired", path).items()},
        expect=expect,
        parameters={str(k): str(v) for k, v in _mapping(root, "parameters", path).items()},
        skip=_strings(root, "skip", path),
        ca_file=str(Path(path).parent / ca_file) if ca_file else None,
        path=path,
    )


def load_config(path: Path) -> ProbeConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the probe configuration: {exc}", place=place_of(path)) from None
    return parse_config(text, str(path))


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost")


def check_target(url: str, config: ProbeConfig) -> tuple[str, str, int, str]:
    """(scheme, host, port, base path) of URL, or a usage error when it may not be probed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {url!r}", hint="e.g. http://127.0.0.1:8000")
    host = parts.hostname.lower()
    if not is_loopback(host) and host not in config.allow_hosts:
        raise UsageError(
            f"{host} is not loopback and not allowed in the probe configuration; nothing was sent",
            hint=f"add it under `allow_hosts:` in the --config file if you are allowed to probe {host}",
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UsageError(f"bad port in {url!r}") from None
    return parts.scheme, host, port, parts.path.rstrip("/")
