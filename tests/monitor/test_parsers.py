"""Access logs, JSON application logs, Kubernetes audit logs and format sniffing."""

from __future__ import annotations

import json

import pytest

from secloop.monitor.config import JsonMapping, MonitorConfig
from secloop.monitor.events import iso
from secloop.monitor.parsers import sniff
from secloop.monitor.syslog import Malformed
from tests.monitor.conftest import event, parse_one

UA = '"-" "Mozilla/5.0 (X11; Linux x86_64)"'


def access(request: str, status: int, user: str = "-", agent: str = UA) -> str:
    return f'203.0.113.5 - {user} [14/Mar/2026:07:05:09 +0100] "{request}" {status} 512 {agent}'


@pytest.mark.parametrize(
    ("line", "type_", "kind", "account"),
    [
        (access("POST /login HTTP/1.1", 401), "authn_login_fail", "http:401", None),
        (access("POST /api/v1/oauth/token HTTP/2.0", 401, "svc"), "authn_login_fail", "http:401", "svc"),
        (access("GET /api/orders HTTP/1.1", 401), "authn_token_invalid", "http:401", None),
        (access("GET /admin HTTP/1.1", 403, "bob"), "authz_fail", "http:403", "bob"),
        (access("POST /login HTTP/1.1", 429), "excess_rate_limit_exceeded", "http:429", None),
        (
            access("GET /?id=1 HTTP/1.1", 200, agent='"-" "sqlmap/1.8#stable"'),
            "malicious_attack_tool",
            "http:tool",
            None,
        ),
    ],
)
def test_access_log_statuses(line: str, type_: str, kind: str, account: str | None) -> None:
    got = event(line, "access")
    assert (got.type, got.kind, got.account, got.ip, got.source) == (
        type_,
        kind,
        account,
        "203.0.113.5",
        "http",
    )
    assert iso(got.time) == "2026-03-14T06:05:09Z"


def test_access_log_common_format_and_ignored_and_malformed() -> None:
    common = '192.0.2.8 - - [14/Mar/2026:07:05:09 +0000] "GET /private HTTP/1.0" 401 12'
    assert event(common, "access").type == "authn_token_invalid"
    assert parse_one(access("GET / HTTP/1.1", 200), "access") is None
    bad = parse_one("GET / 200", "access")
    assert isinstance(bad, Malformed) and bad.reason.startswith("not an access log line")
    no_time = parse_one('192.0.2.8 - - [yesterday] "GET / HTTP/1.0" 401 12', "access")
    assert isinstance(no_time, Malformed) and no_time.reason == "no readable time field"


def test_json_owasp_vocabulary_event() -> None:
    line = json.dumps(
        {
            "datetime": "2026-03-14T06:00:01Z",
            "appid": "shop",
            "event": "authn_login_fail:joebob1",
            "level": "WARN",
            "source_ip": "198.51.100.4",
        }
    )
    got = event(line, "json")
    assert (got.type, got.account, got.ip, got.outcome, got.source, got.kind) == (
        "authn_login_fail", "joebob1", "198.51.100.4", "failure", "app", "json",
    )  # fmt: skip
    assert iso(got.time) == "2026-03-14T06:00:01Z"


def test_json_custom_mapping_nested_fields_and_epoch_millis() -> None:
    mapping = JsonMapping(
        time="ts",
        event="evt.name",
        ip="client.addr",
        account="who.id",
        events={"login.failed": "authn_login_fail"},
    )
    line = json.dumps(
        {
            "ts": 1773468001000,
            "evt": {"name": "login.failed"},
            "client": {"addr": "192.0.2.1"},
            "who": {"id": 42},
        }
    )
    got = event(line, "json", MonitorConfig(json=mapping))
    assert (got.type, got.account, got.ip) == ("authn_login_fail", "42", "192.0.2.1")
    assert iso(got.time) == "2026-03-14T06:00:01Z"


def test_json_outcome_and_location_fields() -> None:
    line = json.dumps(
        {"time": "2026-03-14T06:00:01", "event": "authn_login_success", "user": "ann", "outcome": "success",
         "lat": 52.52, "lon": 13.4}
    )  # fmt: skip
    got = event(line, "json")
    assert (got.outcome, got.lat, got.lon) == ("success", 52.52, 13.4)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"time": "2026-03-14T06:00:01Z", "event": "order_created"}', None),
        ('{"time": "2026-03-14T06:00:01Z", "msg": "hello"}', None),
        ("[1, 2]", "not a JSON object"),
        ("{not json", "not a JSON object"),
        ('{"event": "authz_fail:bob,/admin"}', "no readable time field"),
    ],
)
def test_json_lines_without_security_events(line: str, expected: str | None) -> None:
    got = parse_one(line, "json")
    if expected is None:
        assert got is None
    else:
        assert isinstance(got, Malformed) and got.reason == expected


def audit(code: int, stage: str = "ResponseComplete", user: str | None = "mallory") -> str:
    record = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": "7e0cbccf",
        "stage": stage,
        "requestURI": "/api/v1/namespaces/default/secrets",
        "verb": "list",
        "user": {"username": user} if user else {},
        "sourceIPs": ["192.0.2.30"],
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": "2026-03-14T06:00:01.000000Z",
        "stageTimestamp": "2026-03-14T06:00:01.010000Z",
    }
    return json.dumps(record)


def test_kubernetes_audit_events() -> None:
    denied = event(audit(403), "k8s")
    assert (denied.type, denied.account, denied.ip, denied.kind, denied.source) == (
        "authz_fail", "mallory", "192.0.2.30", "k8s:403", "k8s",
    )  # fmt: skip
    unauthenticated = event(audit(401, user=None), "k8s")
    assert (unauthenticated.type, unauthenticated.account) == ("authn_token_invalid", None)
    assert iso(denied.time) == "2026-03-14T06:00:01Z"
    assert parse_one(audit(200), "k8s") is None
    assert parse_one(audit(403, stage="RequestReceived"), "k8s") is None
    wrong = parse_one('{"kind": "Pod"}', "k8s")
    assert isinstance(wrong, Malformed) and wrong.reason.startswith("not a Kubernetes audit event")


@pytest.mark.parametrize(
    ("lines", "fmt"),
    [
        (["", "Mar 14 06:00:01 h sshd[1]: Accepted publickey for a from 10.0.0.1 port 2 ssh2"], "syslog"),
        (["2026-03-14T06:00:01+00:00 h sshd[1]: x"], "syslog"),
        ([access("GET / HTTP/1.1", 200)], "access"),
        (['{"event": "authn_login_fail"}'], "json"),
        ([audit(403)], "k8s"),
        (["plain words"], None),
    ],
)
def test_sniff(lines: list[str], fmt: str | None) -> None:
    assert sniff(lines) == fmt
