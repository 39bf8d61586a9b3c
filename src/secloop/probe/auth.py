"""Negative authentication probes: every secured operation gets requests it must refuse.

For each operation whose effective `security` requires credentials: one request without any, one
per security scheme with malformed credentials, and one per scheme with the expired credentials the
configuration supplies. A 2xx answer is a finding; the configured statuses (401 or 403 by default)
are refusals; anything else (404, 405, 3xx, 5xx) is inconclusive and reported as such.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from secloop.probe.client import Client, Response
from secloop.probe.config import ProbeConfig
from secloop.probe.openapi import Operation, Scheme, Spec

MALFORMED_TOKEN = "secloop-probe.malformed.credential"  # noqa: S105 - a deliberately invalid credential  # nosec B105
_MALFORMED_BASIC = "Basic !!not-base64!!"


@dataclass(frozen=True, slots=True)
class Attempt:
    variant: str  # no-credentials | malformed | expired
    scheme: str | None
    status: int | None


@dataclass(frozen=True, slots=True)
class OperationResult:
    operation: Operation
    target: str
    expected: tuple[int, ...]
    attempts: tuple[Attempt, ...]

    def accepted(self, variant: str) -> list[Attempt]:
        return [
            a
            for a in self.attempts
            if a.variant == variant and a.status is not None and 200 <= a.status < 300
        ]

    @property
    def inconclusive(self) -> list[Attempt]:
        return [
            a
            for a in self.attempts
            if a.status is None or (not 200 <= a.status < 300 and a.status not in self.expected)
        ]


def fill_path(base: str, op: Operation, overrides: dict[str, str]) -> str | None:
    """The request target with path and required query parameters filled, or None when one is unknown."""
    path = op.path
    values = dict(op.path_values)
    for name in [n for n in overrides if f"{{{n}}}" in path]:
        values[name] = overrides[name]
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", quote(value, safe=""))
    if "{" in path:
        return None
    query = {name: overrides.get(name, value) for name, value in op.query_values}
    return base + path + (f"?{urlencode(query)}" if query else "")


def credential(scheme: Scheme, value: str | None, target: str) -> tuple[dict[str, str], str]:
    """Headers and target carrying `value` (None: malformed) for one scheme."""
    if scheme.kind == "basic":
        text = _MALFORMED_BASIC if value is None else "Basic " + base64.b64encode(value.encode()).decode()
        return {"Authorization": text}, target
    token = MALFORMED_TOKEN if value is None else value
    if scheme.kind == "bearer":
        return {"Authorization": f"Bearer {token}"}, target
    if scheme.location == "header":
        return {scheme.param: token}, target
    if scheme.location == "cookie":
        return {"Cookie": f"{scheme.param}={token}"}, target
    joiner = "&" if "?" in target else "?"
    return {}, f"{target}{joiner}{urlencode({scheme.param: token})}"


def _status(response: Response | None) -> int | None:
    return None if response is None else response.status


def probe_operation(
    client: Client, spec: Spec, op: Operation, target: str, config: ProbeConfig
) -> OperationResult:
    attempts: list[Attempt] = []
    base_headers = {"Accept": "application/json, */*", "User-Agent": "secloop-probe"}
    answer = client.send(op.method, target, dict(base_headers), "no-credentials")
    attempts.append(Attempt("no-credentials", None, _status(answer)))
    names = sorted({name for alternative in op.alternatives for name in alternative})
    for name in names:
        scheme = spec.schemes.get(name)
        if scheme is None:
            continue
        for variant, value in (("malformed", None), ("expired", config.expired.get(name))):
            if variant == "expired" and value is None:
                continue
            extra, where = credential(scheme, value, target)
            answer = client.send(op.method, where, {**base_headers, **extra}, f"{variant}:{name}")
            attempts.append(Attempt(variant, name, _status(answer)))
    expected = config.expected(op.method, op.path, op.operation_id)
    return OperationResult(op, target, expected, tuple(attempts))
