from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.errors import UsageError
from secloop.probe.config import ProbeConfig, load_config
from secloop.probe.engine import run_probe
from secloop.probe.openapi import read_spec
from tests.probe.conftest import SPEC, Shop, write_config

SECURED_GETS = [
    "GET /admin/stats",
    "GET /items",
    "GET /items/{itemId}",
    "GET /me",
    "GET /reports/{reportId}",
    "GET /search",
]


def _run(shop: Shop, tmp_path: Path, extra: str = "") -> tuple[object, list[str]]:
    report = run_probe(shop.url, read_spec(SPEC), load_config(write_config(tmp_path, shop, extra)))
    return report, [f.rule_id for f in report.findings]


def test_a_well_protected_api_has_no_findings(shop: Shop, tmp_path: Path) -> None:
    report = run_probe(shop.url, read_spec(SPEC), load_config(write_config(tmp_path, shop)))
    assert report.findings == []
    assert [r.operation.key for r in report.probed] == SECURED_GETS
    assert report.inconclusive == []
    assert report.not_probed == [
        ("GET /catalog", "credentials are optional (security: [] or {})"),
        ("GET /health", "credentials are optional (security: [] or {})"),
        ("POST /items", "POST is not among the allowed methods (GET, HEAD, OPTIONS); see --methods"),
    ]


def test_every_secured_operation_gets_every_variant(shop: Shop, tmp_path: Path) -> None:
    report = run_probe(shop.url, read_spec(SPEC), load_config(write_config(tmp_path, shop)))
    sent = sorted((s.target, s.variant) for s in report.log)
    assert sent == sorted(
        [
            ("/", "headers"),
            ("/admin/stats", "no-credentials"),
            ("/admin/stats", "malformed:basic"),
            ("/items", "no-credentials"),
            ("/items", "malformed:apiKey"),
            ("/items/1", "no-credentials"),
            ("/items/1", "malformed:bearer"),
            ("/items/1", "expired:bearer"),
            ("/me", "no-credentials"),
            ("/me", "malformed:session"),
            ("/reports/r-7", "no-credentials"),
            ("/reports/r-7", "malformed:apiKey"),
            ("/reports/r-7", "malformed:bearer"),
            ("/reports/r-7", "expired:bearer"),
            ("/search?q=shoes", "no-credentials"),
            ("/search?q=shoes&api_key=secloop-probe.malformed.credential", "malformed:queryKey"),
        ]
    )
    # the server saw the same requests, and the expired token only where bearer is accepted
    assert len(shop.seen) == len(report.log)
    assert [p for m, p, c in shop.seen if c == f"Bearer {shop.expired}"] == ["/items/1", "/reports/r-7"]
    statuses = {(r.operation.key, a.variant, a.scheme): a.status for r in report.probed for a in r.attempts}
    assert statuses[("GET /items/{itemId}", "no-credentials", None)] == 403
    assert statuses[("GET /me", "no-credentials", None)] == 302


def test_one_unprotected_operation_is_exactly_the_one_reported(shop: Shop, tmp_path: Path) -> None:
    shop.leaky.add("open-admin")
    report = run_probe(shop.url, read_spec(SPEC), load_config(write_config(tmp_path, shop)))
    assert [(f.rule_id, f.message) for f in report.findings] == [
        (
            "PROBE-AUTH-NO-CREDENTIALS",
            "GET /admin/stats answered 2xx to a request with no credentials (none -> 200); "
            "expected 401 or 403",
        )
    ]
    finding = report.findings[0]
    assert str(finding.primary) == f"{SPEC}:98"
    assert dict(finding.properties)["url"] == f"{shop.url}/admin/stats"


def test_presence_only_checks_and_expired_tokens_are_found(shop: Shop, tmp_path: Path) -> None:
    shop.leaky.add("presence-bearer")
    report = run_probe(shop.url, read_spec(SPEC), load_config(write_config(tmp_path, shop)))
    assert [(f.rule_id, dict(f.properties)["operation"]) for f in report.findings] == [
        ("PROBE-AUTH-MALFORMED-CREDENTIALS", "GET /items/{itemId}"),
        ("PROBE-AUTH-MALFORMED-CREDENTIALS", "GET /reports/{reportId}"),
    ]
    shop.leaky = {"expired-ok"}
    report = run_probe(shop.url, read_spec(SPEC), load_config(write_config(tmp_path, shop)))
    assert [(f.rule_id, dict(f.properties)["operation"]) for f in report.findings] == [
        ("PROBE-AUTH-EXPIRED-CREDENTIALS", "GET /items/{itemId}"),
        ("PROBE-AUTH-EXPIRED-CREDENTIALS", "GET /reports/{reportId}"),
    ]


def test_unexpected_statuses_are_inconclusive_not_findings(shop: Shop, tmp_path: Path) -> None:
    config = tmp_path / "probe.yml"
    config.write_text("rate: 1000\n")
    report = run_probe(shop.url, read_spec(SPEC), load_config(config))
    assert report.findings == []
    assert [what for result, what in report.inconclusive] == [
        "no-credentials -> 302",
        "malformed:session -> 302",
    ]


def test_cookie_and_cors_problems(shop: Shop, tmp_path: Path) -> None:
    shop.leaky.update({"cookie", "cors"})
    report = run_probe(shop.url, read_spec(SPEC), load_config(write_config(tmp_path, shop)))
    assert [(f.rule_id, f.message) for f in report.findings] == [
        ("PROBE-COOKIE-FLAGS", f"{shop.url}/: cookie 'sid' is set without HttpOnly, SameSite"),
        (
            "PROBE-CORS-REFLECTED-ORIGIN",
            f"{shop.url}/: Origin https://secloop-probe.invalid is reflected in Access-Control-Allow-Origin "
            "with credentials allowed",
        ),
    ]


def test_other_hosts_are_refused_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        run_probe("http://api.example.org", read_spec(SPEC), ProbeConfig())
    assert "api.example.org is not loopback and not allowed" in caught.value.message


def test_allowed_hosts_pass_the_check() -> None:
    from secloop.probe.config import check_target

    config = ProbeConfig(allow_hosts=("staging.example.org",))
    assert check_target("https://staging.example.org/api", config) == (
        "https",
        "staging.example.org",
        443,
        "/api",
    )
    assert check_target("http://[::1]:8080", ProbeConfig())[1] == "::1"


def test_request_budget_stops_the_probe(shop: Shop, tmp_path: Path) -> None:
    report = run_probe(shop.url, read_spec(SPEC), ProbeConfig(rate=1000, max_requests=3))
    assert len(report.log) == 3 and len(shop.seen) == 3
    assert report.notes[0].startswith("stopped: the request budget (3) is spent;")
    assert ("GET /search", "budget spent") in report.not_probed


def test_rate_limit_spaces_requests(shop: Shop) -> None:
    from secloop.probe.client import Client

    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    client = Client(
        "http",
        "127.0.0.1",
        int(shop.url.rsplit(":", 1)[1]),
        2.0,
        10,
        60,
        5,
        clock=lambda: now[0],
        sleep=sleep,
    )
    for _ in range(3):
        client.send("GET", "/health", {}, "t")
    assert waits == [0.5, 0.5]


def test_time_budget_stops_the_probe(shop: Shop) -> None:
    from secloop.probe.client import BudgetExhausted, Client

    now = [0.0]
    client = Client(
        "http", "127.0.0.1", int(shop.url.rsplit(":", 1)[1]), 1000, 10, 5, 5, clock=lambda: now[0]
    )
    client.send("GET", "/health", {}, "t")
    now[0] = 6.0
    with pytest.raises(BudgetExhausted, match="time budget"):
        client.send("GET", "/health", {}, "t")
