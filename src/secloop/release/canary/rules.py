"""Rules raised by the release-stage evaluators backed by the canary judge and experiment engine."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule

CANARY_NO_ANALYSIS = Rule(
    id="RELEASE-CANARY-NO-ANALYSIS",
    title="A canary shifts traffic without an automated analysis to roll it back",
    stage=Stage.RELEASE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "An Argo Rollouts `Rollout` with a canary strategy whose steps and background analysis name no "
        "AnalysisTemplate, or a Flagger `Canary` whose analysis lists no metrics. Traffic moves to the "
        "new version on a timer; a regression is caught only if someone is watching, and nothing rolls "
        "it back by itself."
    ),
    fix=(
        "Add an analysis: `strategy.canary.analysis.templates` (or an `analysis` step) with an "
        "AnalysisTemplate that queries error rate and latency and fails on a threshold, or "
        "`analysis.metrics` on the Flagger Canary; or gate each step with `secloop canary judge`."
    ),
    tags=("progressive-delivery", "canary"),
)

BLUEGREEN_NO_PREPROMOTION = Rule(
    id="RELEASE-BLUEGREEN-NO-PREPROMOTION",
    title="Blue/green promotes green without a pre-promotion analysis",
    stage=Stage.RELEASE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "An Argo Rollouts blue/green strategy without `prePromotionAnalysis` (with automatic promotion "
        "left on), or a Flagger blue/green Canary without metrics: all traffic switches to green before "
        "anything has checked that green works, and the first users find out."
    ),
    fix=(
        "Add `prePromotionAnalysis` with an AnalysisTemplate running smoke checks against the preview "
        "service (and `postPromotionAnalysis` to switch back), or run `secloop canary bluegreen` on "
        "green's smoke metrics before the switch."
    ),
    tags=("progressive-delivery", "blue-green"),
)

ANALYSIS_TEMPLATE_MISSING = Rule(
    id="RELEASE-ANALYSIS-TEMPLATE-MISSING",
    title="A rollout names an AnalysisTemplate that is not in the repository",
    stage=Stage.RELEASE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    description=(
        "A Rollout refers to an AnalysisTemplate by `templateName` but no such template is defined in the "
        "repository. If it is not installed in the cluster either, the analysis run errors and the "
        "rollout stalls or, with some settings, promotes unjudged."
    ),
    fix="Keep the AnalysisTemplate next to the Rollout (or reference a ClusterAnalysisTemplate on purpose).",
    tags=("progressive-delivery",),
)

JUDGE_CONFIG_INVALID = Rule(
    id="RELEASE-CANARY-JUDGE-CONFIG-INVALID",
    title="A canary judge configuration does not validate",
    stage=Stage.RELEASE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "A `secloop canary judge` configuration used by CI (or named canary-judge.yaml) has an unknown "
        "key, a metric without its numerator/denominator, a group without weight or unparseable "
        "thresholds. The judge stops with exit 2 at release time, when nobody wants to debug YAML."
    ),
    fix="Run `secloop canary judge CONFIG` locally and fix the problem at the file:line it names.",
    tags=("canary",),
)

EXPERIMENT_INVALID = Rule(
    id="RELEASE-EXPERIMENT-INVALID",
    title="An experiment definition does not validate",
    stage=Stage.RELEASE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "An experiment file for `secloop experiment analyze` (under experiments/ or named by a CI step) "
        "has a problem: an unknown key or variation, a count above its units, a metric with CUPED sums "
        "in only some variations. Its analysis cannot run."
    ),
    fix="Run `secloop experiment analyze FILE` and fix the problem at the file:line it names.",
    tags=("experiments",),
)

RULES: tuple[Rule, ...] = (
    CANARY_NO_ANALYSIS,
    BLUEGREEN_NO_PREPROMOTION,
    ANALYSIS_TEMPLATE_MISSING,
    JUDGE_CONFIG_INVALID,
    EXPERIMENT_INVALID,
)
