"""Line parsers for access logs, JSON application logs and Kubernetes audit logs; format sniffing.

A parser maps (line, line number) to an Event, to None (a well-formed line that is no security
event) or to a Malformed marker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from secloop.monitor import events as ev
from secloop.monitor.config import JsonMapping, MonitorConfig
from secloop.monitor.events import Event
from secloop.monitor.syslog import CLASSIC, ISO, MONTHS, RFC5424, Clock, Malformed, SyslogParser, zone

Parser = Callable[[str, int], "Event | Malformed | None"]

_Q = r'"((?:[^"\\]|\\.)*)"'
ACCESS = re.compile(rf"(\S+) \S+ (\S+) \[([^\]]+)\] {_Q} (\d{{3}}) \S+(?: {_Q} {_Q})?")
# Matched against lower-cased text: (?i) alternations are twenty times slower in `re`.
LOGIN_PATH = re.compile(r"log_?in|sign_?in|/auth|/session|/token|/oauth|/sso|/saml|/wp-login")
ATTACK_TOOL = re.compile(
    r"sqlmap|nikto|nmap|masscan|zgrab|gobuster|dirbuster|wpscan|hydra|nuclei|acunetix|nessus|feroxbuster"
)

NOT_ACCESS = Malformed("not an access log line (expected the common or combined log format)")
NOT_JSON = Malformed("not a JSON object")
NO_TIME = Malformed("no readable time field")
NOT_AUDIT = Malformed("not a Kubernetes audit event (kind Event, apiVersion audit.k8s.io/…)")


class AccessParser:
    """nginx/Apache common and combined formats: 401, 403 and 429 answers and attack-tool agents."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cache: dict[str, float] = {}

    def time(self, stamp: str) -> float | None:
        hit = self.cache.get(stamp)
        if hit is not None:
            return hit
        try:  # 10/Oct/2026:13:55:36 +0200 — strptime is ten times slower
            offset = stamp[21:].strip()
            sign = -1 if offset.startswith("-") else 1
            shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) if offset else timedelta()
            tz = timezone(sign * shift) if offset else UTC
            moment = datetime(
                int(stamp[7:11]), MONTHS[stamp[3:6]], int(stamp[0:2]),
                int(stamp[12:14]), int(stamp[15:17]), int(stamp[18:20]), tzinfo=tz,
            )  # fmt: skip
        except (KeyError, ValueError):
            return None
        if len(self.cache) > 4096:
            self.cache.clear()
        value = self.cache[stamp] = moment.timestamp()
        return value

    def __call__(self, line: str, number: int) -> Event | Malformed | None:
        m = ACCESS.match(line)
        if m is None:
            return NOT_ACCESS
        status = m[5]
        if status == "401":
            type_ = ev.LOGIN_FAIL if LOGIN_PATH.search(m[4].lower()) else ev.TOKEN_INVALID
        elif status == "403":
            type_ = ev.AUTHZ_FAIL
        elif status == "429":
            type_ = ev.RATE_LIMITED
        elif m[7] and ATTACK_TOOL.search(m[7].lower()):
            type_, status = ev.MALICIOUS_ATTACK_TOOL, "tool"
        else:
            return None
        when = self.time(m[3])
        if when is None:
            return NO_TIME
        user = m[2] if m[2] != "-" else None
        outcome = ev.outcome_of(type_)
        return Event(when, type_, "http", m[1], user, outcome, self.path, number, f"http:{status}", line)


def _get(data: dict[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        value = data.get(key)
        if value is None and "." in key:
            node: Any = data
            for part in key.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            value = node
        if value is not None:
            return value
    return None


def _epoch(value: Any, tz: tzinfo) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value / 1000.0 if value > 1e11 else float(value)
    if not isinstance(value, str):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp()


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


_FAILURE_WORDS = frozenset({"failure", "fail", "failed", "false", "denied", "error"})


class JsonParser:
    """JSON lines of an application: OWASP vocabulary `event` values ("authn_login_fail:joebob1")
    or values mapped in `[json.events]`; other lines are no security event."""

    def __init__(self, path: str, mapping: JsonMapping, tz: tzinfo) -> None:
        self.path = path
        self.m = mapping
        self.tz = tz

    def __call__(self, line: str, number: int) -> Event | Malformed | None:
        try:
            data = json.loads(line)
        except ValueError:
            return NOT_JSON
        if not isinstance(data, dict):
            return NOT_JSON
        raw_event = _get(data, self.m.event)
        if not isinstance(raw_event, str):
            return None
        name, _, args = raw_event.partition(":")
        type_ = self.m.events.get(raw_event) or self.m.events.get(name) or name
        if type_ not in ev.VOCABULARY and type_ not in ev.EXTENSIONS:
            return None
        when = _epoch(_get(data, self.m.time), self.tz)
        if when is None:
            return NO_TIME
        account = _get(data, self.m.account)
        if account is None and args:
            account = args.split(",", 1)[0] or None
        outcome = _get(data, self.m.outcome)
        if isinstance(outcome, bool):
            outcome = "success" if outcome else "failure"
        elif isinstance(outcome, str):
            outcome = "failure" if outcome.lower() in _FAILURE_WORDS else "success"
        else:
            outcome = ev.outcome_of(type_)
        ip = _get(data, self.m.ip)
        return Event(
            when, type_, "app", str(ip) if ip is not None else None,
            str(account) if account is not None else None, outcome, self.path, number, "json", line,
            lat=_float(_get(data, self.m.lat)), lon=_float(_get(data, self.m.lon)),
        )  # fmt: skip


class K8sAuditParser:
    """Kubernetes audit events (JSON lines): 401 and 403 answers at ResponseComplete."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, line: str, number: int) -> Event | Malformed | None:
        try:
            data = json.loads(line)
        except ValueError:
            return NOT_AUDIT
        if not isinstance(data, dict) or data.get("kind") != "Event":
            return NOT_AUDIT
        if data.get("stage", "ResponseComplete") not in ("ResponseComplete", "Panic"):
            return None  # the same request is logged again at ResponseComplete
        status = data.get("responseStatus")
        code = status.get("code") if isinstance(status, dict) else None
        if code == 401:
            type_ = ev.TOKEN_INVALID
        elif code == 403:
            type_ = ev.AUTHZ_FAIL
        else:
            return None
        when = _epoch(data.get("requestReceivedTimestamp") or data.get("stageTimestamp"), UTC)
        if when is None:
            return NO_TIME
        user = data.get("user")
        account = user.get("username") if isinstance(user, dict) else None
        ips = data.get("sourceIPs")
        ip = ips[0] if isinstance(ips, list) and ips else None
        kind = f"k8s:{code}"
        return Event(when, type_, "k8s", ip, account, "failure", self.path, number, kind, line)


def sniff(lines: Sequence[str]) -> str | None:
    """The format of the first non-blank lines, or None."""
    for line in (text for text in lines if text.strip()):
        if line.lstrip().startswith("{"):
            return "k8s" if '"audit.k8s.io/' in line or '"auditID"' in line else "json"
        if ACCESS.match(line):
            return "access"
        if CLASSIC.match(line) or ISO.match(line) or RFC5424.match(line):
            return "syslog"
    return None


def make_parser(
    fmt: str, path: str, config: MonitorConfig, *, year: int | None = None, reference: float | None = None
) -> Parser:
    tz = zone(config.timezone)
    if fmt == "syslog":
        return SyslogParser(path, Clock(tz, year, reference))
    if fmt == "access":
        return AccessParser(path)
    if fmt == "json":
        return JsonParser(path, config.json_fields, tz)
    if fmt == "k8s":
        return K8sAuditParser(path)
    raise ValueError(fmt)
