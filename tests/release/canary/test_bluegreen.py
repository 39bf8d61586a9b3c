from __future__ import annotations

from secloop.release.canary.bluegreen import cut_over
from secloop.release.canary.judge import judge
from secloop.release.canary.model import Check, Decision

from .conftest import config, normal, samples

DONE = tuple(
    Check(name, "done")
    for name in ("health", "db-migrations-backward-compatible", "rollback-path", "session-draining")
)


def test_every_item_done_and_green_passing_switches() -> None:
    decision, items, reasons = cut_over(Decision.PROMOTE, DONE)
    assert decision is Decision.PROMOTE
    assert [(c.name, c.state) for c in items] == [
        ("health", "done"),
        ("smoke-tests", "done"),
        ("db-migrations-backward-compatible", "done"),
        ("rollback-path", "done"),
        ("session-draining", "done"),
    ]
    assert reasons == ["switch to green: every checklist item is done"]


def test_pending_holds_and_failed_keeps_blue() -> None:
    decision, items, reasons = cut_over(Decision.PROMOTE, DONE[:2])
    assert decision is Decision.PAUSE
    assert reasons == ["hold the switch: checklist pending: rollback-path, session-draining"]
    assert items[3].detail == "switching back to blue is one tested step (not stated in the inputs)"
    failed, _, why = cut_over(Decision.PROMOTE, (*DONE[:3], Check("session-draining", "failed")))
    assert failed is Decision.ROLLBACK and why == ["keep blue: checklist failed: session-draining"]


def test_smoke_tests_follow_the_judge_on_green() -> None:
    text = (
        "mode: bluegreen\nchecklist: {health: done, db-migrations-backward-compatible: n/a,"
        " rollback-path: done, session-draining: done}\nmetrics:\n  - name: latency_ms\n"
    )
    cfg = config(text)
    verdict = judge(
        cfg,
        samples("blue", latency_ms=normal(50, 2, 40, 1)),
        samples("green", latency_ms=normal(90, 2, 40, 2)),
    )
    assert verdict.mode == "bluegreen"
    assert verdict.decision is Decision.ROLLBACK
    assert ("smoke-tests", "failed") in [(c.name, c.state) for c in verdict.checklist]
    assert verdict.reasons[-1] == "keep blue: checklist failed: smoke-tests"
    ok = judge(
        cfg,
        samples("blue", latency_ms=normal(50, 2, 40, 1)),
        samples("green", latency_ms=normal(50, 2, 40, 2)),
    )
    assert ok.decision is Decision.PROMOTE
