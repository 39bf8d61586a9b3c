"""Engine-backed evaluators: "build.trunk-based" from git history, "plan.work-item-mix" from work items."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.delivery.practices import EVALUATORS, THRESHOLDS
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from tests.delivery.conftest import GitRepo, iso


def evaluate(practice_id: str, root: Path) -> PracticeResult:
    practice = next(p for p in load_catalog() if p.id == practice_id)
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice))


def test_the_evaluators_replace_catalog_practices_of_the_delivery_engine() -> None:
    catalog = {p.id: p for p in load_catalog()}
    assert set(EVALUATORS) == {"build.trunk-based", "plan.work-item-mix"}
    assert all(catalog[i].engine == "delivery" for i in EVALUATORS)


# The window: 90 days before HEAD at 2026-06-30 10:00 (a Tuesday) holds the dates 04-02 .. 06-30,
# 64 of them weekdays (12 whole weeks give 60, and Thu 04-02 .. Tue 04-07 add 4).
def _weekdays() -> list[str]:
    first = date(2026, 4, 2)
    days = [first + timedelta(days=n) for n in range(90)]
    return [d.isoformat() for d in days if d.weekday() < 5]


def _daily_trunk(repo: GitRepo, branch_days: int) -> str:
    """A direct commit every weekday; on 04-06 a branch, merged ``branch_days`` later at 22:00."""
    repo.empty("Before the window", "2026-03-30 10:00")
    merge_day = date(2026, 4, 6) + timedelta(days=branch_days)
    merged = ""
    for day in _weekdays():
        if merged == "" and day > merge_day.isoformat():
            merged = repo.merge("feature", f"{merge_day.isoformat()} 22:00")
        repo.empty(f"Work of {day}", f"{day} 10:00")
        if day == "2026-04-06":
            repo.branch("feature")
            repo.commit("Feature start", "2026-04-06 11:00")
            repo.commit("Feature end", "2026-04-06 15:00")
            repo.checkout("main")
    return merged


def test_trunk_based_passes_with_daily_integration_and_short_branches(
    git_repo: Callable[[str], GitRepo],
) -> None:
    repo = git_repo("daily")
    _daily_trunk(repo, 0)
    result = evaluate("build.trunk-based", repo.root)
    assert (result.status, result.score) == (Status.PASS, 100)
    assert result.summary == "the trunk receives integrations daily and branches are short-lived"
    assert result.evidence == (
        "git: 65 integration(s) to the trunk (main) in the 90 days before 2026-06-30, 64 weekdays: "
        "1.02 per weekday",
        "git: 1 merged branch(es): lifetime median 0.5 days, p90 0.5 days (earliest author date of the "
        "branch's commits to the merge)",
        "git: 0 squash merge(s) and 64 direct commit(s) on the trunk; a squash merge's branch lifetime needs "
        "pull-request data",
        THRESHOLDS,
    )


def test_trunk_based_is_partial_when_branches_live_for_days(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("long-branch")
    merged = _daily_trunk(repo, 5)  # born 04-06 11:00, merged 04-11 22:00: 5 days 11 hours
    result = evaluate("build.trunk-based", repo.root)
    assert result.status is Status.PARTIAL
    assert result.summary == "branches live 5.5 days (median), more than two days"
    assert (
        f"git: {merged[:12]} 'Merge branch 'feature'' merged a branch that lived 5.5 days" in result.evidence
    )


def test_trunk_based_fails_when_the_trunk_rarely_moves(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("rare")
    for day in ("2026-04-10", "2026-05-01", "2026-05-20", "2026-06-10", "2026-06-30"):
        repo.empty(f"Work of {day}", f"{day} 10:00")
    result = evaluate("build.trunk-based", repo.root)
    assert result.status is Status.FAIL
    assert result.summary == "the trunk receives 0.08 integrations per weekday, less than daily"


def test_trunk_based_is_unknown_without_git(tmp_path: Path) -> None:
    result = evaluate("build.trunk-based", tmp_path)
    assert result.status is Status.UNKNOWN
    assert (
        result.summary
        == "not a git repository: branch lifetimes and integrations to trunk come from git history"
    )


def _items(root: Path, *types: str, done: bool = True, extra: str = "") -> None:
    lines = []
    for n, kind in enumerate(types, start=1):
        record = {
            "type": "work_item",
            "id": f"P-{n}",
            "work_type": kind,
            "created": iso(f"2026-05-{n:02d} 09:00"),
        }
        if done:
            record["done"] = iso(f"2026-06-{n:02d} 09:00")
        lines.append(json.dumps(record))
    (root / ".secloop").mkdir(parents=True, exist_ok=True)
    (root / ".secloop" / "events.jsonl").write_text("\n".join(lines) + "\n" + extra)


def test_work_item_mix_passes_at_twenty_percent_risk_and_debt(tmp_path: Path) -> None:
    _items(tmp_path, "feature", "feature", "feature", "defect", "risk")
    result = evaluate("plan.work-item-mix", tmp_path)
    assert (result.status, result.summary) == (Status.PASS, "risks and debts take 20% of the completed work")
    assert result.evidence == (
        ".secloop/events.jsonl: 5 work item(s) completed in the 90 days before 2026-06-05: 3 feature, "
        "1 defect, 1 risk, 0 debt",
        "risk + debt: 20% of completed items (threshold 20%, Flow Framework flow distribution)",
    )


def test_work_item_mix_fails_below_twenty_percent(tmp_path: Path) -> None:
    _items(tmp_path, "feature", "feature", "feature", "feature", "debt", "defect", extra="{not json}\n")
    result = evaluate("plan.work-item-mix", tmp_path)
    assert (result.status, result.summary) == (
        Status.FAIL,
        "risks and debts take 17% of the completed work, less than 20%",
    )
    assert [(s.path, s.line, s.reason) for s in result.skipped] == [
        (
            ".secloop/events.jsonl",
            7,
            "events file: not valid JSON: Expecting property name enclosed in double quotes",
        )
    ]


def test_work_item_mix_is_unknown_without_completed_items(tmp_path: Path) -> None:
    result = evaluate("plan.work-item-mix", tmp_path)
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "no work items in .secloop/events.jsonl: record them (secloop events record work-item) or export "
        "them from the issue tracker"
    )
    assert result.evidence == (
        "the share of features, defects, risks and debts comes from work items, not from repository files",
    )
    _items(tmp_path, "feature", "risk", done=False)
    result = evaluate("plan.work-item-mix", tmp_path)
    assert (result.status, result.summary) == (
        Status.UNKNOWN,
        "2 work item(s) in .secloop/events.jsonl but none completed in the 90 days before 2026-05-02",
    )
