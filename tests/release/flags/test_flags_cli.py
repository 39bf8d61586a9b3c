"""`secloop flags ...` end to end, with the exit-code contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.release.flags.conftest import CODE_FILES, repo_with_flags, run_cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return repo_with_flags(tmp_path / "repo", files=CODE_FILES)


def test_validate(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", "--root", str(repo))
    assert code == 0
    assert out == (
        "flags.yaml: valid: 5 flag(s) (release 1, experiment 1, operational 1, kill-switch 1, permission 1), "
        "1 segment(s), environments: default, production\n"
    )


def test_validate_reports_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "flags.yaml"
    bad.write_text(
        "flags:\n  f:\n    type: nope\n    owner: me\n    created: 2026-01-01\n    environments: {}\n"
    )
    code, out, err = run_cli(capsys, "validate", str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:3: unknown flag type 'nope'" in err
    assert f"{bad}:6: flag 'f' has no environment" in err


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "list", "--root", str(tmp_path))
    assert code == 2
    assert "no flags file under" in err and "hint: create flags.yaml (or .secloop/flags.yaml)" in err


def test_eval_terminal_and_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "eval", "new-checkout", "-c", "userId=user-3", "-c", "country=DE", "--root", str(repo)
    )
    assert code == 0
    assert out == "new-checkout [default]: enabled (TARGETING_MATCH)\n  strategy: #1 flexibleRollout\n"
    code, out, _ = run_cli(
        capsys, "eval", "search-ranking", "--context", "sessionId=s6", "--root", str(repo), "-f", "json"
    )
    assert code == 0
    assert json.loads(out) == {
        "flag": "search-ranking",
        "environment": "default",
        "enabled": True,
        "reason": "SPLIT",
        "variant": "vector",
        "payload": {"type": "json", "value": '{"k": 10}'},
        "strategy": 0,
        "error": None,
    }
    code, out, _ = run_cli(capsys, "eval", "new-checkout", "--env", "production", "--root", str(repo))
    assert (code, out) == (0, "new-checkout [production]: disabled (DISABLED)\n")


def test_eval_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "eval", "nope", "--root", str(repo))
    assert code == 2 and "error: no flag 'nope' in flags.yaml" in err and "known flags: new-checkout" in err
    code, _, err = run_cli(capsys, "eval", "new-checkout", "-c", "justakey", "--root", str(repo))
    assert code == 2 and "--context expects key=value, got 'justakey'" in err


def test_list(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "list", "--root", str(repo))
    assert code == 0
    assert out.splitlines()[0].split() == [
        "new-checkout",
        "release",
        "team-payments",
        "2026-10-01",
        "default:on",
        "production:off",
    ]
    code, out, _ = run_cli(capsys, "list", "--root", str(repo), "-f", "json")
    listed = json.loads(out)["flags"]
    assert listed[2] == {
        "name": "payments-kill-switch",
        "type": "kill-switch",
        "owner": "team-payments",
        "created": "2025-01-15",
        "line": 43,
        "environments": {"default": {"enabled": True, "strategies": ["default"]}},
    }


def test_stale_work_items_and_gate(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app" / "cache.py").write_text("ttl = 300\n")
    code, out, _ = run_cli(capsys, "stale", "--root", str(repo), "--as-of", "2026-11-27")
    assert code == 0
    assert out == (
        "flags.yaml:9: new-checkout (release) is stale\n"
        "  - lifetime: created 2026-10-01, 57 days ago; a release flag is expected to live 40 days\n"
        "  work item: remove 'new-checkout' and the code paths it guards, keeping the winning path "
        "(owner: team-payments)\n"
        "flags.yaml:72: cache-ttl (operational) is stale\n"
        "  - unreferenced: no file in the repository mentions 'cache-ttl'\n"
        "  work item: remove 'cache-ttl' from flags.yaml: no code reads it any more\n"
        "2 of 5 flag(s) stale as of 2026-11-27\n"
    )
    code, out, _ = run_cli(
        capsys, "stale", "--root", str(repo), "--as-of", "2026-11-27", "-f", "json", "--fail-on-stale"
    )
    assert code == 1
    assert [i["flag"] for i in json.loads(out)["items"]] == ["new-checkout", "cache-ttl"]
    code, out, _ = run_cli(
        capsys, "stale", "--root", str(repo), "--as-of", "2026-10-02", "--no-code-search", "--fail-on-stale"
    )
    assert (code, out) == (0, "0 of 5 flag(s) stale as of 2026-10-02\n")
    code, _, err = run_cli(capsys, "stale", "--root", str(repo), "--as-of", "soon")
    assert code == 2 and "--as-of: not a date: 'soon'" in err


def test_gen_tests_writes_a_runnable_passing_test(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = repo / "tests" / "test_kill.py"
    code, out, _ = run_cli(capsys, "gen-tests", "--root", str(repo), "--out", str(out_file))
    assert code == 0
    assert out == f"wrote {out_file}: 1 case(s) (kill switch x environment); run: pytest {out_file}\n"
    text = out_file.read_text()
    assert 'KILL_SWITCHES = [["payments-kill-switch", "default"]]' in text
    assert '"email": "@example.com"' in text and '"userId": "alice"' in text
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out_file)],
        capture_output=True,
        text=True,
        cwd=repo,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_gen_tests_fails_when_a_kill_switch_is_not_honoured(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = repo / "test_kill.py"
    run_cli(capsys, "gen-tests", "--root", str(repo), "--out", str(out_file))
    # the flag is renamed away in the file: the generated test must notice
    flags = repo / "flags.yaml"
    flags.write_text(flags.read_text().replace("payments-kill-switch:", "payments-kill:"))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out_file)],
        capture_output=True,
        text=True,
        cwd=repo,
        check=False,
    )
    assert run.returncode == 1 and "kill switch payments-kill-switch is no longer in" in run.stdout


def test_export_is_unleash_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "export", "--root", str(repo))
    document = json.loads(out)
    assert code == 0 and document["version"] == 2
    checkout = document["features"][0]
    assert checkout["strategies"][0]["parameters"] == {
        "rollout": "25",
        "stickiness": "default",
        "groupId": "new-checkout",
    }
    assert document["segments"][0]["constraints"][0]["operator"] == "STR_ENDS_WITH"


def test_gen_tests_without_kill_switch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "flags:\n  f:\n    type: release\n    owner: me\n    created: 2026-01-01\n"
        "    environments: {default: {enabled: true}}\n"
    )
    root = repo_with_flags(tmp_path / "r", text)
    code, out, _ = run_cli(capsys, "gen-tests", "--root", str(root), "--out", str(root / "t.py"))
    assert (code, out) == (0, "flags.yaml: no kill-switch flag; nothing written\n")
    assert not (root / "t.py").exists()
