"""`secloop probe -f sarif`: findings as SARIF results located in the OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.probe.sarif import spec_location
from tests.probe.conftest import FIXTURES, SPEC, Shop, write_config
from tests.probe.test_cli import _run

ROOT = FIXTURES.parents[2]
SPEC_URI = "tests/fixtures/probe/shop-openapi.yaml"


def _sarif(
    shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, object]]:
    config = write_config(tmp_path, shop)
    code, out, _ = _run(
        ["probe", shop.url, "--openapi", str(SPEC), "--config", str(config), "-f", "sarif", *extra], capsys
    )
    return code, json.loads(out)


def test_leaky_service_as_sarif(
    shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    shop.leaky.update({"open-admin", "cookie"})
    code, doc = _sarif(shop, tmp_path, capsys)
    assert code == 1
    assert doc["version"] == "2.1.0"
    runs = doc["runs"]
    assert isinstance(runs, list)
    run = runs[0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "PROBE-AUTH-NO-CREDENTIALS",
        "PROBE-COOKIE-FLAGS",
    ]
    summary = [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"],
            [rel["physicalLocation"]["artifactLocation"] for rel in r["relatedLocations"]],
            r["properties"]["practice"],
            r["message"]["text"],
        )
        for r in run["results"]
    ]
    assert summary == [
        (
            "PROBE-COOKIE-FLAGS",
            "warning",
            {"artifactLocation": {"uri": SPEC_URI, "uriBaseId": "%SRCROOT%"}},
            [{"uri": f"{shop.url}/"}],
            "operate.production-scanning",
            f"{shop.url}/: cookie 'sid' is set without HttpOnly, SameSite",
        ),
        (
            "PROBE-AUTH-NO-CREDENTIALS",
            "error",
            {"artifactLocation": {"uri": SPEC_URI, "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 98}},
            [{"uri": f"{shop.url}/admin/stats"}],
            "test.negative-auth",
            "GET /admin/stats answered 2xx to a request with no credentials (none -> 200); "
            "expected 401 or 403",
        ),
    ]
    assert run["properties"]["as_of"] == "2026-11-18T11:06:40Z"
    assert run["properties"]["gate"] == {
        "passed": False,
        "fail_on": "high",
        "fail_on_unknown": False,
        "reasons": ["1 finding(s) at or above high"],
    }


def test_clean_service_as_sarif_has_no_results(
    shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    code, doc = _sarif(shop, tmp_path, capsys, "--fail-on", "none")
    assert code == 0
    runs = doc["runs"]
    assert isinstance(runs, list)
    assert runs[0]["results"] == []
    assert runs[0]["properties"]["gate"]["passed"] is True


def test_unknown_format_is_a_usage_error(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["probe", shop.url, "--openapi", str(SPEC), "-f", "xml"], capsys)
    assert code == 2
    assert "unknown format 'xml'" in err
    assert "terminal, json, sarif" in err


def test_spec_location(tmp_path: Path) -> None:
    assert spec_location("http://127.0.0.1:8000/openapi.json") == "http://127.0.0.1:8000/openapi.json"
    assert spec_location("api/openapi.yaml") == "api/openapi.yaml"
    assert spec_location(str(tmp_path / "api" / "openapi.yaml"), cwd=tmp_path) == "api/openapi.yaml"
    outside = tmp_path / "elsewhere.yaml"
    assert spec_location(str(outside), cwd=tmp_path / "repo") == outside.resolve().as_uri()
