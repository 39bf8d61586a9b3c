from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from secloop.cli.main import run_app
from secloop.cli.probe import register
from tests.probe.conftest import SPEC, Shop, write_config


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    with pytest.raises(SystemExit) as done:
        run_app(app, args)
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_clean_api_exits_0(shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, shop)
    code, out, _ = _run(["probe", shop.url, "--openapi", str(SPEC), "--config", str(config)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[0]
        == f"probed {shop.url} with {SPEC}: 16 request(s), 6 secured operation(s) probed, 3 not probed"
    )
    assert lines[1] == "  no findings"


def test_leaky_api_fails_the_gate_with_json(
    shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.leaky.add("open-admin")
    config = write_config(tmp_path, shop)
    code, out, _ = _run(
        ["probe", shop.url, "--openapi", str(SPEC), "--config", str(config), "-f", "json"], capsys
    )
    assert code == 1
    data = json.loads(out)
    assert data["schema"] == "secloop.probe/v1"
    assert [(f["rule"], f["properties"]["operation"]) for f in data["findings"]] == [
        ("PROBE-AUTH-NO-CREDENTIALS", "GET /admin/stats")
    ]
    code, _, _ = _run(
        ["probe", shop.url, "--openapi", str(SPEC), "--config", str(config), "--fail-on", "none"], capsys
    )
    assert code == 0


def test_methods_option_widens_the_probe(
    shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, shop)
    args = [
        "probe",
        shop.url,
        "--openapi",
        str(SPEC),
        "--config",
        str(config),
        "--methods",
        "get,post",
        "-f",
        "json",
    ]
    code, out, _ = _run(args, capsys)
    assert code == 0
    assert "POST /items" in [p["operation"] for p in json.loads(out)["probed"]]
    assert ("POST", "/items", "") in shop.seen


def test_remote_host_is_refused_before_any_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        ["probe", "https://api.example.org", "--openapi", "https://api.example.org/openapi.json"], capsys
    )
    assert code == 2
    assert err.startswith("error: api.example.org is not loopback and not allowed in the probe configuration")


def test_spec_url_on_the_probed_host(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["probe", shop.url, "--openapi", f"{shop.url}/openapi.json"], capsys)
    assert code == 2
    assert "could not fetch the OpenAPI document (status 404)" in err


def test_bad_options(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["probe", shop.url, "--openapi", str(SPEC), "--methods", "GET,FETCH"], capsys)
    assert code == 2 and "--methods: unknown method(s) 'FETCH'" in err
    code, _, err = _run(["probe", shop.url, "--openapi", str(SPEC), "--rate", "0"], capsys)
    assert code == 2 and "--rate must be positive" in err
    assert shop.seen == []
