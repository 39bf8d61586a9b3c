"""Rules raised by the engine-backed `monitor.alerting` evaluator."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule

SLO_INVALID = Rule(
    id="ALERT-SLO-INVALID",
    title="The SLO file does not validate",
    stage=Stage.MONITOR,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "A secloop SLO file (service, team, slos) is malformed, so no alert rules can be generated from "
        "it and the SLOs it states are not watched."
    ),
    fix="Fix the line named in the message; `secloop alerts generate SLO_FILE` prints the same error.",
    tags=("alerts", "slo"),
)
RULES_OUT_OF_SYNC = Rule(
    id="ALERT-RULES-OUT-OF-SYNC",
    title="Generated alert rules are out of date with their SLO file",
    stage=Stage.MONITOR,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "A rule file written by `secloop alerts generate` no longer matches what its SLO file generates "
        "(the SLO file changed, or the rules were edited by hand): Prometheus alerts on stale objectives."
    ),
    fix=(
        "Regenerate with `secloop alerts generate SLO_FILE -o RULES` and check it in; run "
        "`secloop alerts generate SLO_FILE -o RULES --check` in CI to keep them in sync."
    ),
    tags=("alerts", "slo"),
)
NO_TEAM_LABEL = Rule(
    id="ALERT-NO-TEAM-LABEL",
    title="Alert rule without an owning team",
    stage=Stage.MONITOR,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "The alert carries no `team` label, so Alertmanager cannot route it to the team that builds the "
        "service: you build it, you run it only works when the page reaches the builders."
    ),
    fix="Add `labels: {team: <owning team>}` to the alert rule (secloop-generated rules always carry it).",
    tags=("alerts",),
)

RULES: tuple[Rule, ...] = (SLO_INVALID, RULES_OUT_OF_SYNC, NO_TEAM_LABEL)
