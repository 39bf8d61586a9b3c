"""`secloop history`: the journey table, its JSON twin and the empty case, against a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from secloop.cli.history import change
from secloop.cli.main import app, run
from secloop.core.enums import Stage, Status
from secloop.store import PracticeStatus, open_store
from tests.store.conftest import assessment, practice

P = practice
JAN = datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
FEB = datetime(2025, 2, 3, 9, 30, tzinfo=UTC)
MAR = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
REC = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ENV: dict[str, str | None] = {"COLUMNS": "200", "SECLOOP_DB": None}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    return root


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def seed(db: str, root: Path) -> None:
    """Three assessments: one practice improves, one regresses, one only becomes decidable,
    one is unchanged, one appears and one disappears."""
    with open_store(db) as store:
        for commit, as_of, statuses in (
            ("a" * 40, JAN, ("unknown", "fail", "partial", "pass", "fail", None)),
            ("b" * 40, FEB, ("unknown", "partial", "fail", "pass", "fail", None)),
            (None, MAR, ("pass", "pass", "fail", "pass", None, "not-applicable")),
        ):
            ids = ("plan.threat-model", "code.secrets", "build.sca", "build.sast", "pipeline.cicd-sec-4")
            results = tuple(
                P(pid, Status(s)) for pid, s in zip((*ids, "deploy.signing"), statuses, strict=True) if s
            )
            store.save(assessment(results, commit=commit, as_of=as_of), "{}", str(root), recorded_at=REC)


def invoke(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, [line.rstrip() for line in result.stdout.splitlines()], result.stderr


def test_the_journey_table_has_one_row_per_practice_and_one_column_per_assessment(
    repo: Path, db: str
) -> None:
    seed(db, repo)
    code, lines, err = invoke("history", str(repo), "--db", db)
    assert (code, err) == (0, "")
    assert lines == [
        f"demo ({repo}): 3 assessments in {db}",
        "                      2025-01-10   2025-02-03   2025-03-01",
        "practice              aaaaaaa      bbbbbbb      no commit        change",
        "─" * 74,
        "plan.threat-model     unknown      unknown      pass             changed",
        "",
        "code.secrets          fail         partial      pass             improved",
        "",
        "build.sast            pass         pass         pass             unchanged",
        "build.sca             partial      fail         fail             regressed",
        "",
        "deploy.signing        -            -            not-applicable   new",
        "",
        "pipeline.cicd-sec-4   fail         fail         -                removed",
        "1 practice improved, 1 regressed since 2025-01-10 (3 assessments)",
    ]


def test_limit_keeps_the_latest_assessments_and_the_summary_follows(repo: Path, db: str) -> None:
    seed(db, repo)
    code, lines, _ = invoke("history", str(repo), "--db", db, "--limit", "2")
    assert code == 0
    assert lines[1:3] == [
        "                      2025-02-03   2025-03-01",
        "practice              bbbbbbb      no commit        change",
    ]
    assert "code.secrets          partial      pass             improved" in lines
    assert "build.sca             fail         fail             unchanged" in lines
    assert lines[-1] == "1 practice improved, 0 regressed since 2025-02-03 (2 assessments)"


def test_a_single_assessment_says_the_journey_has_just_begun(repo: Path, db: str) -> None:
    with open_store(db) as store:
        store.save(
            assessment((P("code.secrets", Status.FAIL),), commit="0123456789", as_of=JAN), "{}", str(repo)
        )
    code, lines, _ = invoke("history", str(repo), "--db", db)
    assert code == 0
    assert lines[4:] == [
        "code.secrets   fail         unchanged",
        "1 assessment so far (2025-01-10); assess again later to see how the practices change",
    ]
    assert lines[2] == "practice       0123456      change"


def test_json_is_deterministic_and_complete(repo: Path, db: str) -> None:
    seed(db, repo)
    code, lines, _ = invoke("history", str(repo), "--db", db, "--format", "json", "-n", "2")
    again = invoke("history", str(repo), "--db", db, "--format", "json", "-n", "2")[1]
    assert code == 0
    assert lines == again
    counts = {"findings": 0, "active_findings": 0}
    assert json.loads("\n".join(lines)) == {
        "schema": "secloop.history/v1",
        "root": str(repo),
        "name": "demo",
        "assessments": [
            {
                "id": 2,
                "commit": "b" * 40,
                "as_of": "2025-02-03T09:30:00Z",
                "recorded_at": "2025-03-01T12:00:00Z",
                "tool_version": "0.1.0",
                "config_digest": "cafebabe00000000",
                "gate_passed": True,
                "counts": {"pass": 1, "partial": 1, "fail": 2, "unknown": 1, "not-applicable": 0, **counts},
            },
            {
                "id": 3,
                "commit": None,
                "as_of": "2025-03-01T09:30:00Z",
                "recorded_at": "2025-03-01T12:00:00Z",
                "tool_version": "0.1.0",
                "config_digest": "cafebabe00000000",
                "gate_passed": True,
                "counts": {"pass": 3, "partial": 0, "fail": 1, "unknown": 0, "not-applicable": 1, **counts},
            },
        ],
        "practices": [
            {
                "id": "plan.threat-model",
                "stage": "plan",
                "statuses": ["unknown", "pass"],
                "scores": [0, 100],
                "change": "changed",
            },
            {
                "id": "code.secrets",
                "stage": "code",
                "statuses": ["partial", "pass"],
                "scores": [50, 100],
                "change": "improved",
            },
            {
                "id": "build.sast",
                "stage": "build",
                "statuses": ["pass", "pass"],
                "scores": [100, 100],
                "change": "unchanged",
            },
            {
                "id": "build.sca",
                "stage": "build",
                "statuses": ["fail", "fail"],
                "scores": [0, 0],
                "change": "unchanged",
            },
            {
                "id": "deploy.signing",
                "stage": "deploy",
                "statuses": [None, "not-applicable"],
                "scores": [None, 0],
                "change": "new",
            },
            {
                "id": "pipeline.cicd-sec-4",
                "stage": "pipeline",
                "statuses": ["fail", None],
                "scores": [0, None],
                "change": "removed",
            },
        ],
        "summary": {"improved": 1, "regressed": 0, "since": "2025-02-03T09:30:00Z"},
    }


def test_nothing_recorded_is_a_hint_and_exit_0(repo: Path, db: str) -> None:
    code, lines, err = invoke("history", str(repo), "--db", db)
    assert (code, err) == (0, "")
    assert lines == [
        f"no assessment of {repo} is recorded in {db}",
        f"  hint: run `secloop assess {repo}` first",
    ]


def test_nothing_recorded_in_json_keeps_stdout_a_valid_document(repo: Path, db: str) -> None:
    code, lines, err = invoke("history", str(repo), "--db", db, "--format", "json")
    assert code == 0
    assert json.loads("\n".join(lines)) == {
        "schema": "secloop.history/v1",
        "root": str(repo),
        "name": None,
        "assessments": [],
        "practices": [],
        "summary": {"improved": 0, "regressed": 0, "since": None},
    }
    assert err.splitlines() == [
        f"no assessment of {repo} is recorded in {db}",
        f"  hint: run `secloop assess {repo}` first",
    ]


def test_the_path_is_resolved_and_secloop_db_is_the_default_store(
    repo: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db, repo)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["history", "."], env={"COLUMNS": "200", "SECLOOP_DB": db})
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"demo ({repo}): 3 assessments in {db}"


def test_a_path_with_spaces_is_quoted_in_the_hint(tmp_path: Path, db: str) -> None:
    code, lines, _ = invoke("history", str(tmp_path / "my repo"), "--db", db)
    assert code == 0
    assert lines[1] == f"  hint: run `secloop assess '{tmp_path}/my repo'` first"


def test_a_bad_url_exits_2_and_an_unreachable_store_exits_3(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        run(["history", str(repo), "--db", "mysql://scott:tiger@db.example/x"])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: unsupported database 'mysql' in mysql://scott:***@db.example/x"
    )
    with pytest.raises(SystemExit) as info:
        run(["history", str(repo), "--db", f"sqlite:///{repo}/missing/dir/store.db"])
    assert info.value.code == 3
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: could not open the database at sqlite:///{repo}/missing/dir/store.db: "
        "unable to open database file"
    )


def test_limit_must_be_positive(repo: Path, db: str) -> None:
    result = CliRunner().invoke(app, ["history", str(repo), "--db", db, "--limit", "0"], env=ENV)
    assert result.exit_code == 2
    assert "Invalid value for '--limit' / '-n': Input should be greater than or equal to 1" in result.stderr


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (Status.FAIL, Status.PASS, "improved"),
        (Status.FAIL, Status.PARTIAL, "improved"),
        (Status.PASS, Status.PARTIAL, "regressed"),
        (Status.PARTIAL, Status.FAIL, "regressed"),
        (Status.PASS, Status.PASS, "unchanged"),
        (Status.UNKNOWN, Status.FAIL, "changed"),
        (Status.PASS, Status.NOT_APPLICABLE, "changed"),
        (None, Status.PASS, "new"),
        (Status.PASS, None, "removed"),
    ],
)
def test_change_orders_only_pass_partial_fail(
    first: Status | None, last: Status | None, expected: str
) -> None:
    def status(s: Status | None) -> PracticeStatus | None:
        return None if s is None else PracticeStatus("code.secrets", Stage.CODE, s, 0)

    assert change(status(first), status(last)) == expected
