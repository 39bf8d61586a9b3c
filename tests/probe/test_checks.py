from __future__ import annotations

import pytest

from secloop.core.errors import InputError
from secloop.probe.client import Response
from secloop.probe.config import parse_config
from secloop.probe.headers import PROBE_ORIGIN, Problem, cookie_problems, cors_problems, header_problems
from secloop.probe.openapi import load_spec
from tests.probe.conftest import SPEC

GOOD_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Strict-Transport-Security", "max-age=31536000"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
)


def _without(name: str) -> Response:
    return Response(200, tuple(h for h in GOOD_HEADERS if h[0] != name), b"")


def _rules(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(rule.id, message) for rule, message, _ in problems]


def test_good_headers_have_no_problem() -> None:
    assert header_problems(Response(200, GOOD_HEADERS, b""), https=True) == []


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (
            "Strict-Transport-Security",
            [("PROBE-HSTS-MISSING", "no Strict-Transport-Security header on an HTTPS response")],
        ),
        ("X-Content-Type-Options", [("PROBE-NOSNIFF-MISSING", "no `X-Content-Type-Options: nosniff`")]),
        ("Referrer-Policy", [("PROBE-REFERRER-POLICY-MISSING", "no Referrer-Policy header")]),
        (
            "Content-Security-Policy",
            [
                ("PROBE-CSP-MISSING", "an HTML response without Content-Security-Policy"),
                (
                    "PROBE-FRAMING-UNRESTRICTED",
                    "an HTML response without CSP frame-ancestors or X-Frame-Options",
                ),
            ],
        ),
    ],
)
def test_each_missing_header_is_one_rule(missing: str, expected: list[tuple[str, str]]) -> None:
    assert _rules(header_problems(_without(missing), https=True)) == expected


def test_hsts_only_over_https_and_html_only_rules_only_for_html() -> None:
    json_response = Response(200, (("Content-Type", "application/json"), *GOOD_HEADERS[2:4]), b"")
    assert header_problems(json_response, https=False) == []
    framed = Response(
        200,
        (*GOOD_HEADERS[:4], ("Content-Security-Policy", "default-src 'self'"), ("X-Frame-Options", "DENY")),
        b"",
    )
    assert header_problems(framed, https=True) == []


def test_cookie_flags() -> None:
    good = Response(200, (("Set-Cookie", "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax"),), b"")
    assert cookie_problems(good, https=True) == []
    bad = Response(200, (("Set-Cookie", "sid=1; Path=/"),), b"")
    assert _rules(cookie_problems(bad, https=True)) == [
        ("PROBE-COOKIE-FLAGS", "cookie 'sid' is set without Secure, HttpOnly, SameSite")
    ]
    assert _rules(cookie_problems(bad, https=False)) == [
        ("PROBE-COOKIE-FLAGS", "cookie 'sid' is set without HttpOnly, SameSite")
    ]
    deletion = Response(200, (("Set-Cookie", "sid=; Max-Age=0; Path=/"),), b"")
    assert cookie_problems(deletion, https=True) == []


def test_cors() -> None:
    reflected = Response(
        200,
        (("Access-Control-Allow-Origin", PROBE_ORIGIN), ("Access-Control-Allow-Credentials", "true")),
        b"",
    )
    assert [p[0].id for p in cors_problems(reflected)] == ["PROBE-CORS-REFLECTED-ORIGIN"]
    without_credentials = Response(200, (("Access-Control-Allow-Origin", PROBE_ORIGIN),), b"")
    fixed = Response(
        200,
        (
            ("Access-Control-Allow-Origin", "https://app.example.org"),
            ("Access-Control-Allow-Credentials", "true"),
        ),
        b"",
    )
    assert cors_problems(without_credentials) == [] and cors_problems(fixed) == []


def test_openapi_security_semantics() -> None:
    spec = load_spec(SPEC.read_text(), "shop.yaml")
    ops = {op.key: op for op in spec.operations}
    assert ops["GET /items"].alternatives == (("apiKey",),)  # the global requirement
    assert ops["GET /health"].secured is False and ops["GET /health"].optional is True  # security: []
    assert ops["GET /catalog"].secured is False and ops["GET /catalog"].alternatives == (("bearer",),)
    assert ops["GET /reports/{reportId}"].alternatives == (("apiKey",), ("bearer",))
    assert ops["GET /reports/{reportId}"].path_values == (("reportId", "r-7"),)
    assert ops["GET /items/{itemId}"].path_values == (("itemId", "1"),)
    assert ops["GET /search"].query_values == (("q", "shoes"),)
    assert {name: (s.kind, s.location, s.param) for name, s in spec.schemes.items()} == {
        "apiKey": ("apikey", "header", "X-API-Key"),
        "basic": ("basic", "header", "Authorization"),
        "bearer": ("bearer", "header", "Authorization"),
        "queryKey": ("apikey", "query", "api_key"),
        "session": ("apikey", "cookie", "session"),
    }


def test_openapi_json_with_refs_and_no_global_security() -> None:
    text = (
        '{"openapi": "3.1.0", "paths": {"/a/{id}": {"get": {"security": [{"k": []}], "parameters": '
        '[{"$ref": "#/components/parameters/Id"}]}}, "/b": {"get": {}}}, "components": {"parameters": '
        '{"Id": {"name": "id", "in": "path", "schema": {"type": "string", "format": "uuid"}}}, '
        '"securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "K"}, '
        '"m": {"type": "mutualTLS"}}}}'
    )
    spec = load_spec(text, "api.json")
    assert [(op.key, op.secured, op.path_values) for op in spec.operations] == [
        ("GET /a/{id}", True, (("id", "00000000-0000-4000-8000-000000000000"),)),
        ("GET /b", False, ()),
    ]
    assert spec.unsupported == ("m",)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("rate: 0\n", 1, "`rate` must be a positive number"),
        ("rate: 1\nmethods: [GET, FETCH]\n", 2, "unknown method 'FETCH'"),
        ("rate: 1\nexpect:\n  me: [200, 999]\n", 3, "`expect` of 'me' must be a list of HTTP statuses"),
        ("hosts: [a]\n", 1, "unknown key 'hosts'"),
    ],
)
def test_config_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_config(text, "probe.yml")
    assert caught.value.place is not None and caught.value.place.line == line
    assert caught.value.message == message


def test_openapi_errors() -> None:
    with pytest.raises(InputError, match="only OpenAPI 3 is supported"):
        load_spec('{"swagger": "2.0", "paths": {}}', "api.json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_spec("{oops", "api.json")
