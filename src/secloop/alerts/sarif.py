"""`secloop alerts replay -f sarif`: alert rules that would have paged on noise or missed incidents.

A replay maps onto findings only against labelled incidents (--labels): without them no firing can be
told noise and no silence a miss. An alert that fired outside every incident is ALERT-REPLAY-NOISE, one
that stayed silent through incidents it should catch is ALERT-REPLAY-MISSED, both at the alert's line
in the rule file. With --min-precision / --min-recall only the alerts below the bar are findings.
"""

from __future__ import annotations

from datetime import datetime

from secloop import __version__
from secloop.alerts.replay import AlertScore, RuleSpec
from secloop.alerts.rules import REPLAY_MISSED, REPLAY_NOISE, RULES
from secloop.core.enums import Stage, Status
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Assessment, Finding, GateOutcome, Location, PracticeResult
from secloop.core.rules import Rule, RuleRegistry

PRACTICE = "monitor.alerting"


def _finding(rule: Rule, spec: RuleSpec, path: str, message: str, **props: str) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=message,
        locations=(Location(path, spec.line),),
        fingerprint=keyed_fingerprint(rule.id, path, spec.group, spec.name),
        properties=tuple(sorted({"alert": spec.name, "group": spec.group, **props}.items())),
        fix=rule.fix,
    )


def findings(
    rules: list[RuleSpec],
    scores: list[AlertScore],
    path: str,
    min_precision: float | None = None,
    min_recall: float | None = None,
) -> list[Finding]:
    by_name = {r.name: r for r in rules if r.is_alert}
    out: list[Finding] = []
    for score in scores:
        spec = by_name[score.alert]
        noise = len(score.intervals) - score.true_intervals
        precision, recall = score.precision, score.recall
        if noise and precision is not None and (min_precision is None or precision < min_precision):
            out.append(
                _finding(
                    REPLAY_NOISE, spec, path,
                    f"alert {spec.name} fired {noise} of {len(score.intervals)} time(s) outside every "
                    f"labelled incident (precision {precision:.2f})",
                    precision=f"{precision:.4f}",
                )
            )  # fmt: skip
        missed = score.incidents - score.detected
        if missed and recall is not None and (min_recall is None or recall < min_recall):
            out.append(
                _finding(
                    REPLAY_MISSED, spec, path,
                    f"alert {spec.name} missed {missed} of {score.incidents} labelled incident(s) "
                    f"(recall {recall:.2f})",
                    recall=f"{recall:.4f}",
                )
            )  # fmt: skip
    return sorted(out, key=Finding.sort_key)


def render_sarif(found: list[Finding], target: str, created: datetime, below: list[str]) -> str:
    from secloop.practices.catalog import load_catalog
    from secloop.report import sarif
    from secloop.report.interface import RenderInput

    result = PracticeResult(
        practice_id=PRACTICE,
        stage=Stage.MONITOR,
        status=Status.FAIL if found else Status.PASS,
        score=0 if found else 100,
        summary=f"secloop alerts replay {target}: {len(found)} finding(s)",
        findings=tuple(found),
    )
    reasons = (f"below the --min-precision/--min-recall bar: {', '.join(below)}",) if below else ()
    assessment = Assessment(
        target=target,
        commit=None,
        created_at=created,
        tool_version=__version__,
        config_digest="",
        results=(result,),
        gate=GateOutcome(not below, None, False, reasons),
    )
    return sarif.render(RenderInput(assessment, RuleRegistry(RULES), load_catalog()))
