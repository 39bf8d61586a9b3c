"""scripts/make_demo.py: a deterministic demo repository with the planted problems where promised."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_demo.py"
# A snapshot: any change to the demo's contents, dates or authors changes it, on purpose.
EXPECTED_HEAD = "2fb9b7abb290499b61ba9029831519636915873d"
TOKEN = re.compile("gh" + r"p_([A-Za-z0-9]{30})([A-Za-z0-9]{6})")
TAG_DATES = {
    "v0.1.0": "2026-08-11T09:30:00+00:00",
    "v0.2.0": "2026-08-25T10:00:00+00:00",
    "v0.3.0": "2026-09-09T11:00:00+00:00",
    "v0.4.0": "2026-09-23T10:00:00+00:00",
    "v0.5.0": "2026-10-06T09:30:00+00:00",
}


def make_demo(dest: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(dest)], capture_output=True, text=True, env=env, check=False
    )


def run_git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)


def git(repo: Path, *args: str) -> str:
    done = run_git(repo, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("demo") / "repo"
    done = make_demo(dest)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"built the demo repository at {dest}",
        "  commits: 21",
        "  tags:    v0.1.0, v0.2.0, v0.3.0, v0.4.0, v0.5.0",
        f"  HEAD:    {EXPECTED_HEAD}",
    ]
    return dest


def test_head_is_the_snapshot_and_the_tree_is_clean(demo: Path) -> None:
    assert git(demo, "rev-parse", "HEAD").strip() == EXPECTED_HEAD
    assert git(demo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(demo, "status", "--porcelain") == ""


def test_a_second_build_ignores_the_users_git_config_and_environment(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Mallory\n\temail = m@example.org\n[commit]\n\tgpgsign = true\n"
        "[init]\n\tdefaultBranch = trunk\n[core]\n\tautocrlf = true\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home),
        GIT_AUTHOR_NAME="Mallory",
        GIT_COMMITTER_DATE="2001-01-01T00:00:00+0000",
        GIT_DIR=str(tmp_path / "elsewhere"),
    )
    done = make_demo(tmp_path / "again", env=env)
    assert done.returncode == 0, done.stderr
    assert git(tmp_path / "again", "rev-parse", "HEAD").strip() == EXPECTED_HEAD
    assert not (tmp_path / "elsewhere").exists()


def test_history_spans_ten_weeks_with_two_authors(demo: Path) -> None:
    log = git(demo, "log", "--reverse", "--format=%aI|%an <%ae>|%cI|%s").splitlines()
    assert len(log) == 21
    first, last = (line.split("|") for line in (log[0], log[-1]))
    assert first == [
        "2026-08-03T09:12:00+00:00",
        "Ana Lima <ana@shop.example>",
        first[0],
        "Start the shop service",
    ]
    assert last == [
        "2026-10-12T14:00:00+00:00",
        "Ben Okafor <ben@shop.example>",
        last[0],
        "Record production deployments and INC-1",
    ]
    assert {line.split("|")[1] for line in log} == {
        "Ana Lima <ana@shop.example>",
        "Ben Okafor <ben@shop.example>",
    }


def test_token_is_in_history_only_and_removed_two_commits_later(demo: Path) -> None:
    log = git(demo, "log", "--reverse", "-p", "--format=commit %s", "--", "config/settings.py")
    commits = log.split("commit ")[1:]
    subjects = [c.splitlines()[0] for c in commits]
    assert subjects == [
        "Add the app factory and settings",
        "Let the release bot call the GitHub API",
        "Read the GitHub token from the environment",
    ]
    added = [line for line in commits[1].splitlines() if TOKEN.search(line)]
    assert len(added) == 1
    assert added[0].startswith('+GITHUB_TOKEN = "')
    removed = [line for line in commits[2].splitlines() if TOKEN.search(line)]
    assert len(removed) == 1
    assert removed[0].startswith('-GITHUB_TOKEN = "')
    order = git(demo, "log", "--reverse", "--format=%s").splitlines()
    assert order.index(subjects[2]) - order.index(subjects[1]) == 2
    match = TOKEN.search(added[0])
    assert match is not None
    body, checksum = match.groups()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    value, digits = zlib.crc32(body.encode()), ""
    while value:
        value, rest = divmod(value, 62)
        digits = alphabet[rest] + digits
    assert checksum == digits.rjust(6, "0")
    in_head = run_git(demo, "grep", "-c", "-e", "gh" + "p_", "HEAD")
    assert (in_head.returncode, in_head.stdout) == (1, "")  # 1: git grep found nothing
    assert 'GITHUB_TOKEN = os.environ.get("GITHUB_TOKEN", "")' in (demo / "config/settings.py").read_text()


def test_the_script_itself_never_holds_the_token_literally() -> None:
    assert TOKEN.search(SCRIPT.read_text(encoding="utf-8")) is None


def test_release_tags_are_annotated_and_dated(demo: Path) -> None:
    rows = git(
        demo, "for-each-ref", "refs/tags", "--format=%(refname:short)|%(objecttype)|%(taggerdate:iso-strict)"
    )
    assert [row.split("|") for row in rows.splitlines()] == [
        [name, "tag", when] for name, when in TAG_DATES.items()
    ]
    assert git(demo, "log", "-1", "--format=%s", "v0.4.0").strip() == "Round cart totals for display"


def test_events_file_lists_each_release_and_the_incident(demo: Path) -> None:
    lines = (demo / ".secloop/events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    deployments = [e for e in events if e["type"] == "deployment"]
    assert [(d["version"], d["environment"], d["status"]) for d in deployments] == [
        (version, "production", "success") for version in TAG_DATES
    ]
    for event in deployments:
        assert event["sha"] == git(demo, "rev-parse", event["version"] + "^{commit}").strip()
        tagged = datetime.fromisoformat(TAG_DATES[event["version"]])
        assert datetime.fromisoformat(event["time"]) == tagged + timedelta(minutes=25)
        assert event["time"].endswith("Z")
    (incident,) = [e for e in events if e["type"] == "incident"]
    assert set(incident) == {"type", "id", "opened", "resolved", "deployment_sha", "severity", "title"}
    assert (incident["id"], incident["severity"]) == ("INC-1", "high")
    assert incident["deployment_sha"] == git(demo, "rev-parse", "v0.4.0^{commit}").strip()
    opened, resolved = (datetime.fromisoformat(incident[k]) for k in ("opened", "resolved"))
    assert resolved - opened == timedelta(hours=3)
    v04 = next(d for d in deployments if d["version"] == "v0.4.0")
    v05 = next(d for d in deployments if d["version"] == "v0.5.0")
    assert datetime.fromisoformat(v04["time"]) < opened < datetime.fromisoformat(v05["time"])


def test_workflows_carry_the_planted_pipeline_problems(demo: Path) -> None:
    ci_text = (demo / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    ci = yaml.safe_load(ci_text)
    assert "pull_request_target" in ci[True]  # PyYAML reads the bare key `on` as True
    assert "permissions" not in ci
    assert "permissions" not in ci["jobs"]["test"]
    steps = ci["jobs"]["test"]["steps"]
    assert steps[0] == {
        "uses": "actions/checkout@v4",
        "with": {"ref": "${{ github.event.pull_request.head.sha }}"},
    }
    assert steps[1]["uses"] == "actions/setup-python@v5"
    assert steps[-1]["run"] == 'echo "Tested PR ${{ github.event.pull_request.title }}"'

    lint_text = (demo / ".github/workflows/lint.yml").read_text(encoding="utf-8")
    lint = yaml.safe_load(lint_text)
    assert lint["permissions"] == {"contents": "read"}
    uses = [step["uses"] for step in lint["jobs"]["lint"]["steps"]]
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", u) for u in uses[:2])
    assert uses[2] == "shop-org/style-check@v2"
    suppressed = [n for n, line in enumerate(lint_text.splitlines(), 1) if "secloop: ignore" in line]
    assert suppressed == [21]
    assert lint_text.splitlines()[20] == (
        "      - uses: shop-org/style-check@v2 "
        "# secloop: ignore[GHA-UNPINNED-ACTION] vendored action, reviewed 2026-09"
    )

    with pytest.raises(yaml.YAMLError) as caught:
        yaml.safe_load((demo / ".github/workflows/nightly.yml").read_text(encoding="utf-8"))
    assert isinstance(caught.value, yaml.MarkedYAMLError)
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line + 1 == 13


def test_other_planted_facts(demo: Path) -> None:
    assert (demo / "requirements.txt").read_text().splitlines() == [
        "flask==3.1.1",
        "gunicorn==23.0.0",
        "prometheus-client==0.21.1",
        "PyYAML==5.3.1",
    ]
    hooks = yaml.safe_load((demo / ".pre-commit-config.yaml").read_text())
    ids = [hook["id"] for repo in hooks["repos"] for hook in repo["hooks"]]
    assert ids == ["ruff", "ruff-format", "end-of-file-fixer", "check-yaml"]
    dependabot = yaml.safe_load((demo / ".github/dependabot.yml").read_text())
    assert [u["schedule"] for u in dependabot["updates"]] == [{"interval": "weekly"}] * 2
    assert all("cooldown" not in u for u in dependabot["updates"])
    assert (demo / ".github/CODEOWNERS").read_text().startswith("* @shop-org/backend\n")
    assert tomllib.loads((demo / "secloop.toml").read_text()) == {"fail_on": "high"}
    assert (demo / "Dockerfile").read_text().splitlines()[0] == "FROM python:3.12-slim"
    manifest = yaml.safe_load((demo / "k8s/deployment.yaml").read_text())
    assert (manifest["kind"], manifest["spec"]["replicas"]) == ("Deployment", 3)
    rules = yaml.safe_load((demo / "monitoring/alerts.yml").read_text())["groups"][0]["rules"]
    assert [(r["alert"], r.get("for")) for r in rules] == [("LoginFailuresHigh", "5m"), ("ShopDown", None)]
    auth = (demo / "shop/auth.py").read_text()
    assert "import logging" in auth
    assert 'Counter("login_failures_total"' in auth
    assert 'assert client.get("/orders").status_code == 401' in (demo / "tests/test_auth.py").read_text()
    assert not [p for p in git(demo, "ls-files").splitlines() if "threat" in p.lower()]


def test_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    done = make_demo(tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"make_demo: refusing to write into {tmp_path}: it exists and is not an empty directory "
        "(remove it or choose a new path)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_refuses_a_file_as_destination(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    done = make_demo(target)
    assert done.returncode == 2
    assert "refusing to write into" in done.stderr
    assert target.read_text() == "x"


def test_builds_into_an_existing_empty_directory(tmp_path: Path) -> None:
    done = make_demo(tmp_path)
    assert done.returncode == 0, done.stderr
    assert git(tmp_path, "rev-parse", "HEAD").strip() == EXPECTED_HEAD


def test_usage_without_destination() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (2, "usage: python scripts/make_demo.py DEST\n")
