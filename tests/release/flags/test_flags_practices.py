"""`deploy.feature-toggles` backed by the flags file, and its rules (one positive, one negative each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Severity, Status
from secloop.core.model import Location, PracticeResult
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.release.flags.practices import EVALUATORS, NO_FILE
from secloop.release.flags.rules import RULES
from secloop.sources.repo import Repo
from tests.release.flags.conftest import CODE_FILES, repo_with_flags

# 2026-11-27T00:00:00Z: the day the assessment judges lifetimes on
EPOCH = "1795737600"
APP = {
    "pyproject.toml": "[project]\nname = 'shop'\nversion = '1'\ndependencies = ['fastapi']\n",
    "shop/__init__.py": "",
}
FRESH = """\
flags:
  new-search:
    type: release
    owner: team-search
    created: 2026-11-20
    environments:
      default:
        enabled: true
        strategies:
          - {name: flexibleRollout, parameters: {rollout: 10}}
"""


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def evaluate(root: Path) -> PracticeResult:
    practice = next(p for p in load_catalog() if p.id == "deploy.feature-toggles")
    return EVALUATORS["deploy.feature-toggles"](Context(Repo(root), Config(), practice))


def test_fresh_referenced_flags_pass_without_findings(tmp_path: Path) -> None:
    root = repo_with_flags(
        tmp_path / "r", FRESH, {**APP, "shop/search.py": "ON = is_enabled('new-search')\n"}
    )
    result = evaluate(root)
    assert (result.status, result.summary, result.findings) == (
        Status.PASS,
        "flags kept as code in flags.yaml, none stale",
        (),
    )
    assert result.evidence == (
        "flags.yaml: 1 flag(s) as code (release 1), environments: default",
        "no flag SDK import found: the flags are evaluated by secloop (OpenFeature provider)",
    )


def test_stale_and_unreferenced_flags_are_findings(tmp_path: Path) -> None:
    files = {**APP, **CODE_FILES, "app/cache.py": "ttl = 300\n"}
    root = repo_with_flags(tmp_path / "r", None, files)
    result = evaluate(root)
    assert result.status is Status.PARTIAL
    assert result.summary == (
        "flags kept as code in flags.yaml, but 2 of 5 are stale as of 2026-11-27 (technical debt)"
    )
    assert [(f.rule_id, f.primary, f.severity, f.message) for f in result.findings] == [
        (
            "FLAG-STALE",
            Location("flags.yaml", 9),
            Severity.LOW,
            "flag 'new-checkout' (release, owner team-payments) is stale: created 2026-10-01, 57 days ago; "
            "a release flag is expected to live 40 days",
        ),
        (
            "FLAG-UNREFERENCED",
            Location("flags.yaml", 72),
            Severity.LOW,
            "flag 'cache-ttl' is declared but no file of the repository mentions it",
        ),
    ]
    assert result.evidence[0] == (
        "flags.yaml: 5 flag(s) as code (release 1, experiment 1, operational 1, kill-switch 1, "
        "permission 1), environments: default, production"
    )
    assert "flags.yaml:9: 'new-checkout' stale: created 2026-10-01, 57 days ago" in result.evidence[2]


def test_invalid_flags_file_fails_with_each_problem(tmp_path: Path) -> None:
    text = FRESH.replace("type: release", "type: someday").replace("rollout: 10", "rollout: 101")
    root = repo_with_flags(tmp_path / "r", text, APP)
    result = evaluate(root)
    assert result.status is Status.FAIL
    assert (
        result.summary == "flags.yaml does not validate (2 problem(s)): its flags cannot be served as written"
    )
    assert [(f.rule_id, f.primary, f.message) for f in result.findings] == [
        ("FLAG-INVALID", Location("flags.yaml", 3), "unknown flag type 'someday'"),
        ("FLAG-INVALID", Location("flags.yaml", 10), "'rollout' must be a whole percentage 0..100, got 101"),
    ]
    assert result.skipped[0].path == "flags.yaml" and result.skipped[0].line == 3


def test_secloop_flags_file_under_dot_secloop(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / ".secloop").mkdir(parents=True)
    (root / ".secloop" / "flags.yaml").write_text(FRESH)
    (root / "search.py").write_text("from openfeature import api\nflag = 'new-search'\n")
    for rel, text in APP.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = evaluate(root)
    assert result.status is Status.PASS
    assert result.summary == "flags kept as code in .secloop/flags.yaml, read through OpenFeature, none stale"


def test_without_flags_file_the_content_evaluator_decides(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    for rel, text in {**APP, "shop/flags.py": "ENABLED = {'x': True}\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = evaluate(root)
    assert result.status is Status.PARTIAL
    assert result.summary == "home-grown feature switches, without a feature-flag SDK or service"
    assert result.evidence[-1] == NO_FILE
    assert result.findings == ()


def test_rules_are_declared_once_with_unique_ids() -> None:
    from secloop.registry import REGISTRY

    ids = [r.id for r in RULES]
    assert ids == ["FLAG-INVALID", "FLAG-STALE", "FLAG-UNREFERENCED"]
    assert not [i for i in ids if i in REGISTRY and REGISTRY.get(i) not in RULES]
    assert all(r.stage.value == "deploy" and r.fix and r.description for r in RULES)
