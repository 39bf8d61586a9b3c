"""Mitigations verified by the latest assessment saved in the store (`check --db/--repository/--commit`)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import Result

from secloop.core.enums import BaselineState, Confidence, Severity, Stage, Status
from secloop.core.errors import InputError, UsageError
from secloop.core.model import Assessment, Finding, Location, PracticeResult, Suppression
from secloop.practices.catalog import load_catalog
from secloop.registry import REGISTRY
from secloop.report import json_v1
from secloop.report.interface import RenderInput
from secloop.server.accounts import Accounts
from secloop.server.crypto import Signer
from secloop.server.findings import Findings
from secloop.store import open_store
from secloop.store.engine import build_engine, parse_url
from secloop.store.models import RepositoryRow
from secloop.threatmodel.reportlink import read_report
from secloop.threatmodel.storelink import read_stored
from tests.store import conftest as store_conftest
from tests.threatmodel.conftest import FIXTURES

pg_admin = store_conftest.pg_admin  # the PostgreSQL fixtures, for the test marked postgres
pg_url = store_conftest.pg_url

Invoke = Callable[..., Result]
AS_OF = ("--as-of", "2026-12-01")
TODAY = date(2026, 12, 1)
SQL = "THREAT-7175BA620C"  # TM-TAMPER-SQL-INJECTION on 'store'
CALLER = "THREAT-7457C7B69C"
OLD, NEW = "aaaaaaaa" + "1" * 32, "bbbbbbbb" + "2" * 32
B608 = "Possible SQL injection vector through string-based query construction."
FINGERPRINT = "454dbcc8ea256679b9b6061fd69aee7f"
ACCEPTED_SQL = """\
  - rule: TM-TAMPER-SQL-INJECTION
    target: store
    status: accepted
    reason: The ORM builds every query.
    expires: 2027-01-31
"""


def _model(folder: Path, mitigation: str = "        sast: SAST-PY-B608\n") -> Path:
    text = (FIXTURES / "shop.yaml").read_text()
    linked = (
        "  - rule: TM-TAMPER-SQL-INJECTION\n    target: store\n    status: mitigated\n    mitigations:\n"
        "      - description: Parameterised queries in the shop code.\n" + mitigation
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "shop.yaml"
    path.write_text(text.replace(ACCEPTED_SQL, linked))
    return path


def _b608(*, suppressed: bool = False) -> Finding:
    return Finding(
        rule_id="SAST-PY-B608",
        severity=Severity.MEDIUM,
        confidence=Confidence.MEDIUM,
        message=B608,
        locations=(Location("src/shop/db.py", 2, 17),),
        fingerprint=FINGERPRINT,
        suppression=Suppression("inline", "reviewed") if suppressed else None,
        baseline_state=BaselineState.NEW,
    )


def _assessment(
    findings: tuple[Finding, ...] = (),
    *,
    commit: str = NEW,
    as_of: datetime = datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    iac: bool = True,
) -> Assessment:
    results = [
        PracticeResult(
            "build.sast", Stage.BUILD, Status.FAIL if findings else Status.PASS, 80, "sast", (), findings
        )
    ]
    if iac:
        results.append(PracticeResult("build.iac-scanning", Stage.BUILD, Status.PASS, 100, "iac", (), ()))
    return Assessment(
        target="shop",
        commit=commit,
        created_at=as_of,
        tool_version="0.1.0",
        config_digest="cafebabe00000000",
        results=tuple(results),
    )


def _document(assessment: Assessment) -> str:
    return json_v1.render(RenderInput(assessment, REGISTRY, load_catalog()))


def _save(url: str, root: Path | str, *assessments: Assessment) -> None:
    with open_store(url) as store:
        for a in assessments:
            store.save(a, _document(a), str(root))


def _check(invoke: Invoke, model: Path, *options: str) -> tuple[int, dict[str, Any], str]:
    result = invoke("threatmodel", "check", str(model), "-f", "json", *options, *AS_OF)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


def _error(result: Result) -> str:
    assert isinstance(result.exception, UsageError | InputError)
    assert result.exception.exit_code == 2
    return result.exception.render()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.mark.parametrize(
    ("mitigation", "iac", "code", "state"),
    [
        ("        sast: SAST-PY-B608\n", True, 1, "failed"),
        ('        sast: SAST-PY-B608\n        path: "services/**"\n', True, 0, "verified"),
        ("        iac: IAC-AWS-S3-ENCRYPTION\n", True, 0, "verified"),
        ("        iac: IAC-AWS-S3-ENCRYPTION\n", False, 0, "unverified"),
    ],
)
def test_the_store_and_a_json_report_of_one_assessment_verify_alike(
    invoke: Invoke, tmp_path: Path, url: str, mitigation: str, iac: bool, code: int, state: str
) -> None:
    model = _model(tmp_path / "repo", mitigation)
    assessment = _assessment((_b608(),), iac=iac)
    _save(url, model.parent.resolve(), assessment)
    report = tmp_path / "report.json"
    report.write_text(_document(assessment))

    from_file = _check(invoke, model, "--report", str(report))
    from_store = _check(invoke, model, "--db", url)
    assert (from_file[0], from_store[0]) == (code, code)
    assert _threat(from_store[1], SQL)["verification"]["state"] == state
    # The reasons name their source; everything else is the same, byte for byte.
    label = f"assessment 1 at {NEW[:12]}"
    shown = json.dumps(from_store[1]).replace(label, "report.json")
    assert shown == json.dumps(from_file[1])
    assert from_store[2] == (
        f"verifying against {label} of shop ({model.parent.resolve()}) from 2026-11-20 in {url}\n"
    )
    stored = read_stored(url, str(model.parent), None, TODAY)[1]
    read = read_report(report)
    assert (stored.checked, stored.findings) == (read.checked, read.findings)


def _threat(doc: dict[str, Any], threat_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in doc["threats"] if t["id"] == threat_id)
    return found


def test_an_active_stored_finding_reopens_the_threat(invoke: Invoke, tmp_path: Path, url: str) -> None:
    model = _model(tmp_path)
    _save(url, tmp_path.resolve(), _assessment((_b608(),)))
    code, doc, _ = _check(invoke, model, "--db", url)
    reason = f"SAST-PY-B608 has an active finding at src/shop/db.py:2 in assessment 1 at {NEW[:12]}: {B608}"
    assert code == 1
    assert (_threat(doc, SQL)["status"], _threat(doc, SQL)["reason"]) == ("open", reason)
    assert _threat(doc, SQL)["verification"] == {
        "state": "failed",
        "tests": [],
        "reason": reason,
        "checks": ["sast:SAST-PY-B608"],
    }
    assert _threat(doc, CALLER)["verification"] == {
        "state": "unverified",
        "tests": [],
        "reason": "no linked SAST rule or IaC check",
    }
    # A suppressed finding is not active in the store either.
    _save(
        url,
        tmp_path.resolve(),
        _assessment((_b608(suppressed=True),), as_of=datetime(2026, 11, 21, tzinfo=UTC)),
    )
    code, doc, _ = _check(invoke, model, "--db", url)
    assert (code, _threat(doc, SQL)["verification"]["state"]) == (0, "verified")


def test_junit_and_the_store_together(invoke: Invoke, tmp_path: Path, url: str) -> None:
    model = _model(tmp_path, "        sast: SAST-PY-B608\n        tests: [tests/test_db.py::test_params]\n")
    _save(url, tmp_path.resolve(), _assessment((_b608(),)))
    run = tmp_path / "run.xml"
    run.write_text(
        '<?xml version="1.0"?>\n<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_db" name="test_params"/>'
        "</testsuite></testsuites>\n"
    )
    code, doc, _ = _check(invoke, model, "--junit", str(run), "--db", url)
    assert code == 1
    assert _threat(doc, SQL)["verification"] == {
        "state": "failed",
        "tests": ["tests.test_db::test_params"],
        "reason": f"SAST-PY-B608 has an active finding at src/shop/db.py:2 in assessment 1 at {NEW[:12]}: "
        + B608,
        "checks": ["sast:SAST-PY-B608"],
    }
    assert doc["verification"] == {"verified": 0, "failed": 1, "unverified": 5}


def _git_repo(folder: Path) -> Path:
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder.resolve()


def test_the_model_s_git_root_and_its_newest_assessment_by_default(
    invoke: Invoke, tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _git_repo(tmp_path / "shop")
    model = _model(repo / "docs" / "security")
    older = _assessment((_b608(),), commit=OLD, as_of=datetime(2026, 11, 1, tzinfo=UTC))
    newer = _assessment(commit=NEW, as_of=datetime(2026, 11, 2, tzinfo=UTC))
    _save(url, repo, newer, older)  # saved out of order: the newest by date wins, not the last saved
    code, doc, note = _check(invoke, model, "--db", url)
    assert code == 0
    assert _threat(doc, SQL)["verification"]["state"] == "verified"
    assert note == f"verifying against assessment 1 at {NEW[:12]} of shop ({repo}) from 2026-11-02 in {url}\n"

    # --commit picks an older one (a prefix is enough); SECLOOP_DB names the store as for the server.
    monkeypatch.setenv("SECLOOP_DB", url)
    code, doc, note = _check(invoke, model, "--commit", OLD[:8].upper())
    assert code == 1
    assert _threat(doc, SQL)["reason"] == (
        f"SAST-PY-B608 has an active finding at src/shop/db.py:2 in assessment 2 at {OLD[:12]}: {B608}"
    )
    # The repository by name, by a path inside it, and by its root.
    for repository in ("shop", str(repo / "docs"), str(repo)):
        code, doc, note = _check(invoke, model, "--repository", repository)
        assert (code, note.split(" of ")[0]) == (0, f"verifying against assessment 1 at {NEW[:12]}")


def _triage(url: str, root: Path, state: str, expires: date | None) -> None:
    engine = build_engine(parse_url(url))
    try:
        with engine.connect() as conn:
            repository_id = conn.scalar(select(RepositoryRow.id).where(RepositoryRow.root == str(root)))
        assert repository_id is not None
        findings = Findings(engine, Accounts(engine, Signer("k" * 48)))
        findings.set_triage(
            repository_id, FINGERPRINT, state, "reviewed", expires, actor="alice", client=None
        )
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("state", "expires", "code", "verification", "reason"),
    [
        ("false-positive", None, 0, "verified", None),
        ("fixed", None, 0, "verified", None),
        ("accepted-risk", date(2027, 1, 31), 0, "unverified", "accepted until 2027-01-31"),
        ("accepted-risk", date(2026, 12, 1), 0, "unverified", "accepted until 2026-12-01"),
        ("accepted-risk", None, 0, "unverified", "accepted without expiry"),
        ("accepted-risk", date(2026, 11, 30), 1, "failed", None),  # expired: open again
    ],
)
def test_triage_in_the_store(
    invoke: Invoke,
    tmp_path: Path,
    url: str,
    state: str,
    expires: date | None,
    code: int,
    verification: str,
    reason: str | None,
) -> None:
    model = _model(tmp_path)
    _save(url, tmp_path.resolve(), _assessment((_b608(),)))
    _triage(url, tmp_path.resolve(), state, expires)
    exit_code, doc, _ = _check(invoke, model, "--db", url)
    assert exit_code == code
    sql = _threat(doc, SQL)
    assert sql["verification"]["state"] == verification
    if verification == "unverified":
        assert sql["status"] == "mitigated"
        assert sql["verification"]["reason"] == (
            f"SAST-PY-B608 has a finding at src/shop/db.py:2 in assessment 1 at {NEW[:12]} "
            f"whose risk is {reason}"
        )
    elif verification == "failed":
        assert sql["status"] == "open"
        assert sql["reason"].startswith("SAST-PY-B608 has an active finding at src/shop/db.py:2")


def test_no_assessment_of_the_repository_is_a_usage_error(invoke: Invoke, tmp_path: Path, url: str) -> None:
    model = _model(tmp_path / "repo")
    _save(url, "/srv/other", _assessment())
    result = invoke("threatmodel", "check", str(model), "--db", url, *AS_OF)
    root = (tmp_path / "repo").resolve()
    assert _error(result).startswith(
        f"error: no assessment of repository {str(root)!r} in {url}\n  hint: save one"
    )
    result = invoke(
        "threatmodel", "check", str(model), "--db", url, "--repository", "/srv/other", "--commit", "cafe"
    )
    assert _error(result).startswith(f"error: no assessment of repository /srv/other at commit cafe in {url}")
    result = invoke("threatmodel", "check", str(model), "--db", url, "--commit", "main", *AS_OF)
    assert _error(result).startswith("error: --commit: not a commit SHA: 'main'")


def test_a_missing_database_is_not_created(invoke: Invoke, tmp_path: Path) -> None:
    model = _model(tmp_path)
    missing = tmp_path / "nope.db"
    result = invoke("threatmodel", "check", str(model), "--db", f"sqlite:///{missing}", *AS_OF)
    assert _error(result).startswith(f"error: the database sqlite:///{missing} does not exist")
    assert not missing.exists()


def test_ambiguous_names_and_commits(invoke: Invoke, tmp_path: Path, url: str) -> None:
    model = _model(tmp_path)
    _save(url, "/srv/a/shop", _assessment(commit="abcd1" + "0" * 35))
    _save(url, "/srv/b/shop", _assessment(commit="abcd1" + "0" * 35))
    result = invoke("threatmodel", "check", str(model), "--db", url, "--repository", "shop", *AS_OF)
    assert _error(result).startswith(
        f"error: 2 repositories in {url} are named 'shop': /srv/a/shop, /srv/b/shop\n"
        "  hint: pass --repository with the root of the one you mean"
    )
    _save(url, "/srv/a/shop", _assessment(commit="abcd2" + "0" * 35))
    result = invoke(
        "threatmodel", "check", str(model), "--db", url, "--repository", "/srv/a/shop", "--commit", "abcd"
    )
    assert _error(result).startswith(
        f"error: --commit abcd matches 2 commits of /srv/a/shop in {url}: abcd1{'0' * 35}, abcd2{'0' * 35}"
    )


def test_the_store_and_a_report_exclude_each_other(invoke: Invoke, tmp_path: Path, url: str) -> None:
    model = _model(tmp_path)
    report = FIXTURES / "sast-report.json"
    result = invoke(
        "threatmodel", "check", str(model), "--report", str(report), "--repository", "shop", *AS_OF
    )
    assert _error(result) == (
        "error: --report and the store (--db, --repository, --commit) both judge sast/iac links\n"
        "  hint: give one of them"
    )


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ('{"schema": "secloop.assessment/v1"}', "it has no 'practices' list"),
        ('{"schema": "sarif"}', "schema is 'sarif', expected 'secloop.assessment/v1'"),
        ("{practices", "Expecting property name enclosed in double quotes"),
    ],
)
def test_a_stored_document_that_is_not_a_report(
    invoke: Invoke, tmp_path: Path, url: str, document: str, why: str
) -> None:
    model = _model(tmp_path)
    with open_store(url) as store:
        store.save(_assessment(), document, str(tmp_path.resolve()))
    result = invoke("threatmodel", "check", str(model), "--db", url, *AS_OF)
    assert _error(result) == (
        f"error: assessment 1 at {NEW[:12]} of {tmp_path.resolve()} in {url} is not a secloop JSON report: "
        f"{why}\n  hint: save it again with a current `secloop assess`"
    )


@pytest.mark.postgres
def test_postgres_store_and_a_redacted_password(
    invoke: Invoke, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    factory: Callable[[], str] = request.getfixturevalue("pg_url")
    base = factory()
    user = base.split("://", 1)[1].split("@", 1)[0]
    secret = "hunter" + "-pg-" + "2"
    url = base.replace(f"{user}@", f"{user}:{secret}@", 1)  # the test server trusts local users
    model = _model(tmp_path)
    _save(url, tmp_path.resolve(), _assessment((_b608(),)))
    code, doc, note = _check(invoke, model, "--db", url)
    assert code == 1
    assert _threat(doc, SQL)["verification"]["state"] == "failed"
    masked = base.replace(f"{user}@", f"{user}:***@", 1)
    assert note.endswith(f"in {masked}\n")
    assert secret not in note
    result = invoke("threatmodel", "check", str(model), "--db", url, "--repository", "/srv/none", *AS_OF)
    message = _error(result)
    assert message.startswith(f"error: no assessment of repository '/srv/none' in {masked}\n")
    assert secret not in message
