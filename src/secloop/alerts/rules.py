"""Rules raised by the engine-backed `monitor.alerting` evaluator and by `alerts replay -f sarif`."""

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

REPLAY_NOISE = Rule(
    id="ALERT-REPLAY-NOISE",
    title="Alert fires outside every labelled incident",
    stage=Stage.MONITOR,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "Replayed on recorded metrics, the alert fired at times no labelled incident covers: it pages on "
        "noise, and a team paged for nothing learns to ignore the pager."
    ),
    fix=(
        "Alert on symptoms with a burn rate over two windows (`secloop alerts generate`), lengthen `for:`, "
        "or raise the threshold; replay again until `--min-precision` holds. If the firing was a real "
        "incident, add it to the --labels file."
    ),
    tags=("alerts", "replay"),
)
REPLAY_MISSED = Rule(
    id="ALERT-REPLAY-MISSED",
    title="Alert misses labelled incidents",
    stage=Stage.MONITOR,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    description=(
        "Replayed on recorded metrics, the alert did not fire during incidents it is labelled to catch: "
        "users would have noticed before the team did."
    ),
    fix=(
        "Lower the threshold or shorten the window and `for:` (a fast-burn window of 5m/1h pages within "
        "minutes), or alert on the symptom the incident showed; replay again until `--min-recall` holds."
    ),
    tags=("alerts", "replay"),
)

RULES: tuple[Rule, ...] = (SLO_INVALID, RULES_OUT_OF_SYNC, NO_TEAM_LABEL, REPLAY_NOISE, REPLAY_MISSED)
