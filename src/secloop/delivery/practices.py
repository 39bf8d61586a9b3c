"""Engine-backed evaluators: build.trunk-based (git history) and plan.work-item-mix (work items)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.delivery import load_sources
from secloop.delivery.metrics import p90
from secloop.delivery.model import Window, WorkType
from secloop.delivery.trunk import WINDOW_DAYS, trunk_stats
from secloop.practices.base import Context, Evaluator

IDEAL_HOURS = 24.0  # trunkbaseddevelopment.com: short-lived feature branches, ideally merged within a day
MAX_HOURS = 48.0  # ... and living no longer than a couple of days
LONG_HOURS = 168.0  # a median branch older than a week is long-lived by any reading
DAILY = 1.0  # integrations per weekday for "integrate at least daily"
WEEKLY = 0.2  # one a week
RISK_DEBT_SHARE = 0.20
THRESHOLDS = (
    "thresholds (trunkbaseddevelopment.com): branches live under a day ideally and no more than two days; "
    "the trunk receives integrations at least daily"
)


def _days(hours: float) -> str:
    return f"{hours / 24:.1f} days"


def evaluate_trunk_based(ctx: Context) -> PracticeResult:
    sources = load_sources(ctx.repo, ctx.config)
    if not sources.git.is_git:
        return ctx.unknown(
            "not a git repository: branch lifetimes and integrations to trunk come from git history"
        )
    if sources.git.head is None:
        return ctx.unknown("the repository has no commits yet")
    stats = trunk_stats(sources.history, sources.git.head)
    if stats is None:
        return ctx.unknown("HEAD's history could not be read")
    trunk = sources.git.branch or "HEAD"
    until = stats.window.end.date().isoformat()
    evidence = [
        f"git: {stats.integrations} integration(s) to the trunk ({trunk}) in the {WINDOW_DAYS} days before "
        f"{until}, {stats.weekdays} weekdays: {stats.per_weekday:.2f} per weekday"
    ]
    median = stats.median_hours
    if median is not None:
        worst = p90([b.hours for b in stats.branches])
        evidence.append(
            f"git: {len(stats.branches)} merged branch(es): lifetime median {_days(median)}, "
            f"p90 {_days(worst)} (earliest author date of the branch's commits to the merge)"
        )
        evidence += [
            f"git: {b.merge[:12]} '{b.subject[:60]}' merged a branch that lived {_days(b.hours)}"
            for b in stats.branches[:3]
            if b.hours > MAX_HOURS
        ]
    if stats.squashes or stats.direct:
        evidence.append(
            f"git: {stats.squashes} squash merge(s) and {stats.direct} direct commit(s) on the trunk; "
            "a squash merge's branch lifetime needs pull-request data"
        )
    if sources.history.truncated:
        evidence.append("git: shallow clone: history before the shallow boundary is missing")
    evidence.append(THRESHOLDS)
    lifetime_ok = median is None or median <= MAX_HOURS
    if lifetime_ok and stats.per_weekday >= DAILY:
        ideal = median is None or median < IDEAL_HOURS
        summary = "the trunk receives integrations daily and branches are short-lived" + (
            "" if ideal else " (one to two days; under a day is the ideal)"
        )
        return ctx.result(Status.PASS, summary, evidence)
    problems = []
    if not lifetime_ok and median is not None:
        problems.append(f"branches live {_days(median)} (median), more than two days")
    if stats.per_weekday < DAILY:
        problems.append(
            f"the trunk receives {stats.per_weekday:.2f} integrations per weekday, less than daily"
        )
    failing = (median is not None and median > LONG_HOURS) or stats.per_weekday < WEEKLY
    return ctx.result(Status.FAIL if failing else Status.PARTIAL, "; ".join(problems), evidence)


def evaluate_work_item_mix(ctx: Context) -> PracticeResult:
    sources = load_sources(ctx.repo, ctx.config)
    where = sources.events_path or ctx.config.events_file
    keep = "the share of features, defects, risks and debts comes from work items, not from repository files"
    if not sources.work_items:
        return ctx.result(
            Status.UNKNOWN,
            f"no work items in {where}: record them (secloop events record work-item) or export them "
            "from the issue tracker",
            [keep],
            skipped=sources.skipped,
        )
    end = sources.newest()
    assert end is not None  # there are work items
    window = Window(end - timedelta(days=WINDOW_DAYS), end)
    done = [w for w in sources.work_items if w.done is not None and w.done in window]
    until = end.date().isoformat()
    if not done:
        return ctx.result(
            Status.UNKNOWN,
            f"{len(sources.work_items)} work item(s) in {where} but none completed in the {WINDOW_DAYS} "
            f"days before {until}",
            [keep],
            skipped=sources.skipped,
        )
    counts = Counter(w.type for w in done)
    share = (counts[WorkType.RISK] + counts[WorkType.DEBT]) / len(done)
    mix = ", ".join(f"{counts[t]} {t.value}" for t in WorkType)
    evidence = [
        f"{where}: {len(done)} work item(s) completed in the {WINDOW_DAYS} days before {until}: {mix}",
        f"risk + debt: {share:.0%} of completed items (threshold 20%, Flow Framework flow distribution)",
    ]
    if share >= RISK_DEBT_SHARE:
        return ctx.result(
            Status.PASS,
            f"risks and debts take {share:.0%} of the completed work",
            evidence,
            skipped=sources.skipped,
        )
    return ctx.result(
        Status.FAIL,
        f"risks and debts take {share:.0%} of the completed work, less than 20%",
        evidence,
        skipped=sources.skipped,
    )


EVALUATORS: dict[str, Evaluator] = {
    "build.trunk-based": evaluate_trunk_based,
    "plan.work-item-mix": evaluate_work_item_mix,
}
