"""Engine-backed evaluators: build.trunk-based (git history) and plan.work-item-mix (work items)."""

from __future__ import annotations

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.delivery import load_sources
from secloop.delivery.flow import flow
from secloop.delivery.trunk import MAX_HOURS, THRESHOLDS, WINDOW_DAYS, days, trunk_report
from secloop.practices.base import Context, Evaluator

__all__ = ["EVALUATORS", "THRESHOLDS", "evaluate_trunk_based", "evaluate_work_item_mix"]


def evaluate_trunk_based(ctx: Context) -> PracticeResult:
    sources = load_sources(ctx.repo, ctx.config)
    report = trunk_report(sources)
    stats = report.stats
    if stats is None:
        return ctx.unknown(report.summary)
    trunk = report.trunk
    until = stats.window.end.date().isoformat()
    evidence = [
        f"git: {stats.integrations} integration(s) to the trunk ({trunk}) in the {WINDOW_DAYS} days before "
        f"{until}, {stats.weekdays} weekdays: {stats.per_weekday:.2f} per weekday"
    ]
    median = stats.median_hours
    if median is not None:
        evidence.append(
            f"git: {len(stats.branches)} merged branch(es): lifetime median {days(median)}, "
            f"p90 {days(stats.p90_hours or 0.0)} (earliest author date of the branch's commits to the merge)"
        )
        evidence += [
            f"git: {b.merge[:12]} '{b.subject[:60]}' merged a branch that lived {days(b.hours)}"
            for b in stats.branches[:3]
            if b.hours > MAX_HOURS
        ]
    if stats.squashes or stats.direct:
        evidence.append(
            f"git: {stats.squashes} squash merge(s) and {stats.direct} direct commit(s) on the trunk; "
            "a squash merge's branch lifetime needs pull-request data"
        )
    if report.active:
        oldest = report.active[0]
        evidence.append(
            f"git: {len(report.active)} active branch(es) not merged into the trunk; the oldest, "
            f"'{oldest.name}', is {days(oldest.hours)} old"
        )
    if sources.history.truncated:
        evidence.append("git: shallow clone: history before the shallow boundary is missing")
    evidence.append(THRESHOLDS)
    return ctx.result(report.status, report.summary, evidence)


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
    report = flow(sources.work_items, end, WINDOW_DAYS)
    until = end.date().isoformat()
    if not report.done:
        return ctx.result(
            Status.UNKNOWN,
            f"{len(sources.work_items)} work item(s) in {where} but none completed in the {WINDOW_DAYS} "
            f"days before {until}",
            [keep],
            skipped=sources.skipped,
        )
    share = report.mix.share or 0.0
    evidence = [
        f"{where}: {len(report.done)} work item(s) completed in the {WINDOW_DAYS} days before {until}: "
        f"{report.mix.describe()}",
        f"risk + debt: {share:.0%} of completed items (threshold 20%, Flow Framework flow distribution)",
    ]
    if report.mix.passes:
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
