from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from secloop.cli.main import run
from tests.cli.conftest import DANGEROUS_WORKFLOW

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "sarif-schema-2.1.0.json"
RepoFactory = Callable[..., Path]


def secloop(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        run(list(args))
    code = info.value.code
    return code if isinstance(code, int) else 3


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert secloop("--version") == 0
    assert capsys.readouterr().out.startswith("secloop 0.")


def test_clean_repo_passes_and_json_is_byte_identical(
    repo_factory: RepoFactory, tmp_path: Path, db: str
) -> None:
    repo = repo_factory({"README.md": "# hello\n", "src/app.py": "import logging\n"})
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    assert secloop("assess", str(repo), "-f", "json", "-o", str(out1), "--db", db) == 0
    assert secloop("assess", str(repo), "-f", "json", "-o", str(out2), "--db", db) == 0
    assert out1.read_bytes() == out2.read_bytes()
    doc = json.loads(out1.read_text())
    assert doc["schema"] == "secloop.assessment/v1"
    stages = {p["stage"] for p in doc["practices"]}
    assert stages == {"plan", "code", "build", "test", "deploy", "release", "operate", "monitor", "pipeline"}
    assert doc["gate"]["passed"] is True


def test_dangerous_workflow_fails_gate_then_fail_on_none_passes(
    repo_factory: RepoFactory, tmp_path: Path, db: str
) -> None:
    repo = repo_factory({".github/workflows/pr.yml": DANGEROUS_WORKFLOW})
    out = tmp_path / "r.json"
    assert secloop("assess", str(repo), "-f", "json", "-o", str(out), "--db", db) == 1
    doc = json.loads(out.read_text())
    rules = {f["rule"] for p in doc["practices"] for f in p["findings"] if f["active"]}
    assert "GHA-DANGEROUS-TRIGGER" in rules
    assert doc["gate"]["passed"] is False
    assert secloop("assess", str(repo), "-f", "json", "-o", str(out), "--fail-on", "none", "--no-store") == 0


def test_baseline_create_then_only_new_findings_fail(repo_factory: RepoFactory, tmp_path: Path) -> None:
    repo = repo_factory({".github/workflows/pr.yml": DANGEROUS_WORKFLOW})
    assert secloop("baseline", "create", str(repo)) == 0
    assert (repo / ".secloop" / "baseline.json").is_file()
    assert secloop("baseline", "create", str(repo)) == 2
    out = tmp_path / "r.json"
    assert secloop("assess", str(repo), "-f", "json", "-o", str(out), "--no-store") == 0
    doc = json.loads(out.read_text())
    states = {f["baseline_state"] for p in doc["practices"] for f in p["findings"]}
    assert states == {"unchanged"}
    assert secloop("assess", str(repo), "--no-baseline", "-f", "json", "-o", str(out), "--no-store") == 1
    assert secloop("baseline", "update", str(repo)) == 0


def test_sarif_output_validates(repo_factory: RepoFactory, tmp_path: Path) -> None:
    repo = repo_factory({".github/workflows/pr.yml": DANGEROUS_WORKFLOW})
    out = tmp_path / "r.sarif"
    assert secloop("assess", str(repo), "-f", "sarif", "-o", str(out), "--no-store") == 1
    log = json.loads(out.read_text())
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(log)
    results = log["runs"][0]["results"]
    assert all("secloop/v1" in r["partialFingerprints"] for r in results)
    assert {r["baselineState"] for r in results} == {"new"}


@pytest.mark.parametrize("fmt", ["markdown", "html", "junit", "terminal"])
def test_every_format_writes_a_file(repo_factory: RepoFactory, tmp_path: Path, fmt: str) -> None:
    repo = repo_factory({"README.md": "x\n"})
    out = tmp_path / f"report.{fmt}"
    assert secloop("assess", str(repo), "-f", fmt, "-o", str(out), "--no-store") == 0
    assert "build.ci" in out.read_text()


def test_terminal_to_stdout(repo_factory: RepoFactory, capsys: pytest.CaptureFixture[str]) -> None:
    repo = repo_factory({"README.md": "x\n"})
    assert secloop("assess", str(repo), "--no-store") == 0
    out = capsys.readouterr().out
    for stage in ("PLAN", "CODE", "BUILD", "TEST", "DEPLOY", "RELEASE", "OPERATE", "MONITOR", "PIPELINE"):
        assert stage in out
    assert "Next steps" in out and "DORA" in out


def test_json_to_stdout(repo_factory: RepoFactory, capsys: pytest.CaptureFixture[str]) -> None:
    repo = repo_factory({"README.md": "x\n"})
    assert secloop("assess", str(repo), "-f", "json", "--no-store") == 0
    assert json.loads(capsys.readouterr().out)["target"] == repo.name


def test_malformed_config_exits_2_with_place(
    repo_factory: RepoFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_factory({"secloop.toml": 'fail_on = "high"\nfail_onn = "low"\n'})
    assert secloop("assess", str(repo), "--no-store") == 2
    err = capsys.readouterr().err
    assert f"{repo / 'secloop.toml'}:2: unknown option 'fail_onn'" in err
    assert "hint: known options:" in err
    assert "Traceback" not in err


def test_malformed_baseline_exits_2_and_writes_nothing(
    repo_factory: RepoFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_factory({".secloop/baseline.json": "{ nope"})
    out = tmp_path / "never.json"
    assert secloop("assess", str(repo), "-f", "json", "-o", str(out), "--no-store") == 2
    assert "baseline.json:1:3: baseline is not valid JSON" in capsys.readouterr().err
    assert not out.exists()


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert secloop("assess", str(tmp_path / "missing"), "--no-store") == 2
    assert "path does not exist" in capsys.readouterr().err
    assert secloop("assess", str(tmp_path), "-f", "pdf", "--no-store") == 2
    assert "unknown format 'pdf'" in capsys.readouterr().err
    assert secloop("assess", str(tmp_path), "--fail-on", "severe", "--no-store") == 2
    assert secloop("assess", "--bogus-flag") == 2


def test_fail_on_unknown_fails_closed(repo_factory: RepoFactory) -> None:
    repo = repo_factory({"README.md": "x\n"})
    assert (
        secloop("assess", str(repo), "--fail-on-unknown", "--no-store", "-f", "json", "-o", "/dev/null") == 1
    )


def test_malformed_workflow_while_walking_is_skipped(repo_factory: RepoFactory, tmp_path: Path) -> None:
    repo = repo_factory({".github/workflows/bad.yml": "on: [push\njobs: {\n"})
    out = tmp_path / "r.json"
    assert secloop("assess", str(repo), "-f", "json", "-o", str(out), "--no-store") == 0
    doc = json.loads(out.read_text())
    assert any(s["path"] == ".github/workflows/bad.yml" for s in doc["skipped"])


def test_non_git_directory_is_assessed(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.py").write_text("print(1)\n")
    assert secloop("assess", str(tmp_path / "plain"), "--no-store", "-f", "json", "-o", "/dev/null") == 0


def test_listing_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert secloop("rules") == 0
    assert "GHA-DANGEROUS-TRIGGER" in capsys.readouterr().out
    assert secloop("practices") == 0
    assert "build.ci" in capsys.readouterr().out


def test_config_command_shows_source_and_options(
    repo_factory: RepoFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_factory({"secloop.toml": 'fail_on = "medium"\n'})
    assert secloop("config", str(repo)) == 0
    out = capsys.readouterr().out
    assert f"configuration: {repo / 'secloop.toml'}" in out
    assert '"medium"' in out and "release_tag_pattern" in out


def test_format_names_match_the_renderer_registry() -> None:
    from secloop.cli.assess import FORMAT_NAMES
    from secloop.report.formats import FORMATS

    assert set(FORMAT_NAMES) == {"terminal", *FORMATS}


def test_the_console_script_registers_only_the_named_group() -> None:
    from secloop.cli.main import _selection, build_app

    assert _selection(["scan", "secrets", "--staged"]) == ("scan", "secrets")
    assert _selection(["--version"]) == ("", None)
    assert _selection(["db", "status"]) == ("deps", None)
    assert _selection(["--help"]) == (None, None)
    assert _selection(["nonsense"]) == (None, None)
    names = {c.name for c in build_app("scan", "iac").registered_groups}
    assert names == {"scan"}
    assert build_app("").registered_commands == []
