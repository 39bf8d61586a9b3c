"""`secloop assess`: evaluate every practice of the catalog against a repository, then apply policy."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime

from secloop import __version__
from secloop.core.enums import Status
from secloop.core.errors import InputError
from secloop.core.model import Assessment, NextStep, PracticeResult, Skipped
from secloop.core.policy import apply_policy
from secloop.delivery import delivery_metrics
from secloop.deps.db import default_dir, read_snapshot
from secloop.inputs import Prepared
from secloop.practices.base import Context, Evaluator
from secloop.practices.catalog import Practice, load_catalog
from secloop.practices.registry import EVALUATORS
from secloop.sources.repo import Repo


def evaluate(ctx: Context, evaluator: Evaluator) -> PracticeResult:
    try:
        return evaluator(ctx)
    except Exception as exc:  # an evaluator bug must not hide the other 50 results
        return ctx.unknown(f"the evaluator failed: {type(exc).__name__}: {exc}")


def as_of(repo: Repo) -> datetime:
    """The moment assessed: HEAD's commit time, so the same commit gives byte-identical output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return repo.head_time() or datetime.now(tz=UTC).replace(microsecond=0)


def _ranker(catalog: Mapping[str, Practice]) -> Callable[[PracticeResult], NextStep | None]:
    def rank(result: PracticeResult) -> NextStep | None:
        p = catalog.get(result.practice_id)
        if p is None:
            return None
        return NextStep(p.id, p.title, p.stage, result.status, p.effort.value, p.impact.value, p.why)

    return rank


def assess(
    prepared: Prepared,
    *,
    evaluators: Mapping[str, Evaluator] = EVALUATORS,
    today: date | None = None,
) -> Assessment:
    repo, config = prepared.repo, prepared.config
    catalog = {p.id: p for p in load_catalog()}
    results: list[PracticeResult] = []
    for practice in catalog.values():
        ctx = Context(repo, config, practice)
        evaluator = evaluators.get(practice.id)
        if evaluator is None:
            results.append(ctx.unknown("no evaluator is registered for this practice"))
        else:
            results.append(evaluate(ctx, evaluator))

    outcome = apply_policy(
        results,
        config,
        read_line=line_reader(repo),
        suppressions=prepared.suppressions,
        baseline=prepared.baseline,
        today=today or date.today(),
        rank=_ranker(catalog),
    )
    delivery = delivery_metrics(repo, config)
    skipped = _one_per_place(
        (*(s for r in outcome.results for s in r.skipped), *delivery.skipped, *outcome.notes)
    )
    return Assessment(
        target=repo.root.name,
        commit=repo.head(),
        created_at=as_of(repo),
        tool_version=__version__,
        config_digest=config.digest(),
        results=outcome.results,
        metrics=delivery.metrics,
        metrics_reason=delivery.reason,
        snapshots=_snapshots(),
        next_steps=outcome.next_steps,
        skipped=skipped,
        gate=outcome.gate,
    )


def line_reader(repo: Repo) -> Callable[[str, int], str | None]:
    """Line N of a file, for inline suppressions; each file is split once (a lockfile holds many findings)."""
    split: dict[str, list[str]] = {}

    def read_line(rel: str, number: int) -> str | None:
        if rel not in split:
            split[rel] = (repo.read_text(rel) or "").splitlines()
        lines = split[rel]
        return lines[number - 1] if 0 < number <= len(lines) else None

    return read_line


def engine_assessment(
    prepared: Prepared,
    results: Sequence[PracticeResult],
    command: str,
    *,
    snapshots: tuple[tuple[str, str], ...] = (),
    today: date | None = None,
) -> Assessment:
    """The assessment of one engine's command (`secloop scan iac` …): its practices, policy applied once."""
    repo = prepared.repo
    outcome = apply_policy(
        results,
        prepared.config,
        read_line=line_reader(repo),
        suppressions=prepared.suppressions,
        baseline=prepared.baseline,
        today=today or date.today(),
        rank=lambda _r: None,
    )
    return Assessment(
        target=repo.root.name,
        commit=repo.head(),
        created_at=as_of(repo),
        tool_version=__version__,
        config_digest=prepared.config.digest(),
        results=outcome.results,
        metrics_reason=f"not measured by `{command}`",
        snapshots=snapshots,
        skipped=_one_per_place((*(s for r in outcome.results for s in r.skipped), *outcome.notes)),
        gate=outcome.gate,
    )


def _snapshots() -> tuple[tuple[str, str], ...]:
    """The data snapshots an assessment used (the advisory database), named in every report."""
    try:
        snapshot = read_snapshot(default_dir())
    except InputError:
        return ()  # build.sca reports the damaged database itself
    return snapshot.pairs() if snapshot else ()


def _one_per_place(items: tuple[Skipped, ...]) -> tuple[Skipped, ...]:
    """Several readers may meet the same malformed file; the user needs to hear about it once."""
    first: dict[tuple[str, int | None], Skipped] = {}
    for item in items:
        first.setdefault((item.path, item.line), item)
    return tuple(sorted(first.values(), key=lambda s: (s.path, s.line or 0, s.reason)))


def unknown_count(assessment: Assessment) -> int:
    return sum(1 for r in assessment.results if r.status is Status.UNKNOWN)
