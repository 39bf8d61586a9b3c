"""Verified mitigations from the latest JUnit XML run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from secloop.threatmodel.junit import read_junit, verify
from secloop.threatmodel.problems import ModelError
from tests.threatmodel.conftest import FIXTURES, analysis, claim_keeping_server

Invoke = Callable[..., Result]
SHOP = str(FIXTURES / "shop.yaml")
AS_OF = ("--as-of", "2026-12-01")
# TM-SPOOF-FLOW-CALLER on 'order', linked to tests/test_auth.py::test_orders_need_login
CALLER = "THREAT-7457C7B69C"


def _junit(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "run.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<testsuites><testsuite name="pytest">{body}</testsuite></testsuites>\n'
    )
    return path


def test_a_passing_linked_test_verifies_its_threat(invoke: Invoke, tmp_path: Path) -> None:
    run = _junit(tmp_path, '<testcase classname="tests.test_auth" name="test_orders_need_login" time="0.1"/>')
    result = invoke("threatmodel", "check", SHOP, "-f", "json", "--junit", str(run), *AS_OF)
    assert result.exit_code == 0
    doc = json.loads(result.output)
    caller = next(t for t in doc["threats"] if t["id"] == CALLER)
    assert caller["status"] == "mitigated"
    assert caller["verification"] == {
        "state": "verified",
        "tests": ["tests.test_auth::test_orders_need_login"],
        "reason": None,
    }
    assert doc["verification"] == {"verified": 1, "failed": 0, "unverified": 5}
    assert (doc["coverage"]["verified"], doc["coverage"]["share"]) == (1, 1.0)


def test_a_failing_linked_test_reopens_its_threat(invoke: Invoke, tmp_path: Path) -> None:
    run = _junit(
        tmp_path,
        '<testcase classname="tests.test_auth" name="test_orders_need_login[anonymous]">'
        '<failure message="assert 200 == 401">trace</failure></testcase>'
        '<testcase classname="tests.test_auth" name="test_orders_need_login[expired]"/>',
    )
    result = invoke("threatmodel", "check", SHOP, "-f", "json", "--junit", str(run), *AS_OF)
    assert result.exit_code == 1
    doc = json.loads(result.output)
    caller = next(t for t in doc["threats"] if t["id"] == CALLER)
    reason = "tests.test_auth::test_orders_need_login failed in run.xml: assert 200 == 401"
    assert (caller["status"], caller["reason"], caller["verification"]["state"]) == ("open", reason, "failed")
    assert doc["gate"]["reasons"] == [f"1 open threat(s) at or above high: {CALLER}"]
    terminal = invoke("threatmodel", "check", SHOP, "--junit", str(run), *AS_OF).output.splitlines()
    assert "   verification by the latest test run: 0 verified, 1 failed, 5 unverified" in terminal
    assert f"   {CALLER} open again: {reason}" in terminal


def test_missing_and_skipped_tests_leave_threats_unverified(tmp_path: Path) -> None:
    shop = analysis((FIXTURES / "shop.yaml").read_text("utf-8"))
    skipped = _junit(
        tmp_path,
        '<testcase classname="tests.test_auth" name="test_orders_need_login"><skipped message="no server"/>'
        "</testcase>",
    )
    judged = verify(shop, read_junit(skipped), "run.xml")
    assert judged.verification is not None
    assert judged.verification[CALLER].state == "unverified"
    assert judged.verification[CALLER].reason == "its tests were skipped or expected to fail"
    empty = verify(shop, [], "run.xml")
    assert empty.verification is not None
    assert empty.verification[CALLER].reason == "no linked test ran"
    assert [t.status.value for t in empty.threats] == [t.status.value for t in shop.threats]


def test_a_real_run_of_the_generated_tests(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    invoke("threatmodel", "tests", SHOP, "--out", str(out))
    run = tmp_path / "junit.xml"
    with claim_keeping_server(limit=3) as base_url:
        # An empty repository: the log-redaction check has no code to look at and skips.
        (tmp_path / "empty").mkdir()
        env = {
            **os.environ,
            "SECLOOP_TM_URL_ORDER": base_url,
            "SECLOOP_TM_BURST": "5",
            "SECLOOP_TM_REPO": str(tmp_path / "empty"),
        }
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={run}", str(out)],
            cwd=out,
            env=env,
            capture_output=True,
            check=False,
        )
    result = invoke("threatmodel", "check", SHOP, "-f", "json", "--junit", str(run), *AS_OF)
    states = {
        t["id"]: (t["rule"], t["status"], t["verification"]["state"])
        for t in json.loads(result.output)["threats"]
    }
    assert states == {
        "THREAT-ADFC662253": ("TM-INFO-PII-IN-LOGS", "open", "unverified"),
        "THREAT-FEEF870D61": ("TM-DOS-FLOW-FLOODING", "mitigated", "verified"),
        "THREAT-3DBB31BF93": ("TM-LINDDUN-IDENTIFYING-URL", "open", "unverified"),
        # The local server speaks plain HTTP: the TLS claim fails and the threat is open again.
        "THREAT-4B5F2CDF7F": ("TM-TAMPER-FLOW-IN-TRANSIT", "open", "failed"),
        CALLER: ("TM-SPOOF-FLOW-CALLER", "mitigated", "verified"),
        # Accepted, but the injection probes pass: the strict xfail fails, asking for the model's update.
        "THREAT-7175BA620C": ("TM-TAMPER-SQL-INJECTION", "open", "failed"),
    }
    assert result.exit_code == 1


def test_a_malformed_junit_file_is_an_input_error(invoke: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "run.xml"
    bad.write_text("<testsuite>\n<testcase>\n", "utf-8")
    result = invoke("threatmodel", "check", SHOP, "--junit", str(bad), *AS_OF)
    assert isinstance(result.exception, ModelError)
    assert result.exception.problems[0].render().startswith(f"{bad}:3:1: not JUnit XML: ")
    missing = invoke("threatmodel", "check", SHOP, "--junit", str(tmp_path / "none.xml"), *AS_OF)
    assert isinstance(missing.exception, ModelError)


def test_a_junit_file_with_a_dtd_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "junit.xml"
    bad.write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<testsuite>&a;</testsuite>\n')
    with pytest.raises(ModelError) as caught:
        read_junit(bad)
    assert [(p.place.line, p.message) for p in caught.value.problems] == [
        (1, "a JUnit file with a DTD is not accepted")
    ]
