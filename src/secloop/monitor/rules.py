"""Rules raised by the monitor engine's evaluator on a repository's `.secloop/monitor.toml`."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule

CONFIG_INVALID = Rule(
    id="MONITOR-CONFIG-INVALID",
    title="The secloop monitor configuration does not load",
    stage=Stage.MONITOR,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "`.secloop/monitor.toml` is not valid TOML or names an unknown option, detection or value. "
        "`secloop monitor` refuses to start with it, so no failed logon is counted or detected."
    ),
    fix="Fix the option the message names; `secloop monitor detections --config FILE` checks the file.",
    cwe=(778,),
    tags=("monitoring", "logging"),
)

DETECTION_DISABLED = Rule(
    id="MONITOR-DETECTION-DISABLED",
    title="A built-in authentication detection is turned off",
    stage=Stage.MONITOR,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "The monitor configuration sets `enabled = false` on a detection (brute force, password "
        "spraying, credential stuffing, success after failures, lockouts, authorisation-failure bursts "
        "or impossible travel). Attacks of that kind then raise no alert, however loud they are."
    ),
    fix="Raise the detection's threshold or window instead of turning it off, or delete the table.",
    cwe=(778,),
    tags=("monitoring", "detection"),
)

BRUTE_FORCE_LAX = Rule(
    id="MONITOR-BRUTE-FORCE-LAX",
    title="Brute-force detection lets more than 100 failed logons per hour through",
    stage=Stage.MONITOR,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "The brute-force threshold and window allow more than 100 failed logons per hour on one account "
        "before an alert: ASVS 4.0 V2.2.1 requires that no more than 100 failed attempts per hour are "
        "possible on a single account."
    ),
    fix="Lower `threshold` or lengthen `window` in [detections.brute-force] so that threshold / window "
    "stays at or below 100 per hour (the default is 8 in 10 minutes).",
    cwe=(307,),
    asvs=("2.2.1",),
    tags=("monitoring", "detection", "authentication"),
)

RULES: tuple[Rule, ...] = (CONFIG_INVALID, DETECTION_DISABLED, BRUTE_FORCE_LAX)
