"""Blue/green cut-over: the judge's verdict on green's smoke metrics plus the switch checklist.

Green may take the traffic only when its metrics pass against blue and every checklist item is done
(or not applicable). A failed item keeps blue; a pending one holds the switch.
"""

from __future__ import annotations

from collections.abc import Sequence

from secloop.release.canary.model import Check, Decision

CHECKLIST: tuple[tuple[str, str], ...] = (
    ("health", "green's health and readiness checks pass"),
    ("smoke-tests", "smoke tests pass against green (the judge's metrics)"),
    ("db-migrations-backward-compatible", "schema changes work with blue's code too (expand, then contract)"),
    ("rollback-path", "switching back to blue is one tested step"),
    ("session-draining", "blue drains its sessions and connections before it stops"),
)


def cut_over(judged: Decision, given: Sequence[Check]) -> tuple[Decision, tuple[Check, ...], list[str]]:
    """The switch decision and the checklist with each item's state (smoke tests from the judge)."""
    states = {c.name: c for c in given}
    smoke_state = {Decision.PROMOTE: "done", Decision.ROLLBACK: "failed", Decision.PAUSE: "pending"}[judged]
    items: list[Check] = []
    for name, detail in CHECKLIST:
        if name == "smoke-tests" and name not in states:
            items.append(Check(name, smoke_state, f"judge verdict on green: {judged.value}"))
        elif name in states:
            item = states[name]
            items.append(Check(name, item.state, item.detail or detail))
        else:
            items.append(Check(name, "pending", f"{detail} (not stated in the inputs)"))
    items += [c for c in given if c.name not in dict(CHECKLIST)]
    failed = [c.name for c in items if c.state == "failed"]
    pending = [c.name for c in items if c.state == "pending"]
    reasons: list[str] = []
    if failed:
        reasons.append(f"keep blue: checklist failed: {', '.join(failed)}")
        return Decision.ROLLBACK, tuple(items), reasons
    if pending:
        reasons.append(f"hold the switch: checklist pending: {', '.join(pending)}")
        return Decision.PAUSE, tuple(items), reasons
    if judged is Decision.PROMOTE:
        reasons.append("switch to green: every checklist item is done")
    else:
        reasons.append(f"checklist complete, but green's metrics say {judged.value}")
    return judged, tuple(items), reasons
