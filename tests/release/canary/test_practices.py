"""Engine-backed release practices: Argo Rollouts, Flagger, judge configs, CI steps, experiments."""

from __future__ import annotations

import textwrap
from pathlib import Path

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.release.canary.practices import EVALUATORS
from secloop.release.canary.rules import RULES
from tests.practices._repo import evaluate_with, stage_practices, write

PRACTICES = stage_practices(("release",))
SERVICE = {"Dockerfile": "FROM python:3.12-slim\n", "app/main.py": "print('hi')\n"}


def run(root: Path, practice: str, files: dict[str, str]) -> PracticeResult:
    write(root, {**SERVICE, **files})
    return evaluate_with(EVALUATORS, PRACTICES, root, practice)


def found(result: PracticeResult) -> list[tuple[str, str]]:
    return [(f.rule_id, str(f.primary)) for f in result.findings]


ROLLOUT_CANARY = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: api
spec:
  strategy:
    canary:
      steps:
        - setWeight: 20
        - pause: {duration: 5m}
@ANALYSIS@"""

TEMPLATE = """\
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  metrics: [{name: success-rate, successCondition: "result[0] >= 0.99"}]
"""

ANALYSIS_STEP = "        - analysis:\n            templates:\n              - templateName: success-rate\n"


def test_rules_are_declared_once_with_release_ids() -> None:
    assert [r.id for r in RULES] == [
        "RELEASE-CANARY-NO-ANALYSIS",
        "RELEASE-BLUEGREEN-NO-PREPROMOTION",
        "RELEASE-ANALYSIS-TEMPLATE-MISSING",
        "RELEASE-CANARY-JUDGE-CONFIG-INVALID",
        "RELEASE-EXPERIMENT-INVALID",
    ]
    assert set(EVALUATORS) == {"release.canary", "release.blue-green", "release.ab-testing"}


def test_canary_without_analysis_is_flagged(tmp_path: Path) -> None:
    result = run(tmp_path, "release.canary", {"k8s/api.yaml": ROLLOUT_CANARY.replace("@ANALYSIS@", "")})
    assert result.status is Status.PARTIAL
    assert found(result) == [("RELEASE-CANARY-NO-ANALYSIS", "k8s/api.yaml:7")]
    assert result.findings[0].message == "Argo Rollout 'api' runs a canary without any analysis template"


def test_canary_with_a_defined_analysis_template_passes(tmp_path: Path) -> None:
    text = ROLLOUT_CANARY.replace("@ANALYSIS@", ANALYSIS_STEP) + TEMPLATE
    result = run(tmp_path, "release.canary", {"k8s/api.yaml": text})
    assert result.status is Status.PASS
    assert result.findings == ()
    assert "k8s/api.yaml:7: Argo Rollout 'api' canary analysed by success-rate" in result.evidence


def test_analysis_template_missing_from_the_repository(tmp_path: Path) -> None:
    result = run(
        tmp_path, "release.canary", {"k8s/api.yaml": ROLLOUT_CANARY.replace("@ANALYSIS@", ANALYSIS_STEP)}
    )
    assert found(result) == [("RELEASE-ANALYSIS-TEMPLATE-MISSING", "k8s/api.yaml:7")]
    assert (
        "AnalysisTemplate 'success-rate', which the repository does not define" in result.findings[0].message
    )


def test_flagger_canary_without_metrics_is_flagged(tmp_path: Path) -> None:
    flagger = """\
    apiVersion: flagger.app/v1beta1
    kind: Canary
    metadata:
      name: web
    spec:
      analysis:
        interval: 1m
        stepWeight: 10
        maxWeight: 50
    """
    result = run(tmp_path, "release.canary", {"deploy/canary.yaml": textwrap.dedent(flagger)})
    assert found(result) == [("RELEASE-CANARY-NO-ANALYSIS", "deploy/canary.yaml:8")]
    with_metrics = (
        textwrap.dedent(flagger)
        + "    metrics:\n      - {name: request-success-rate, thresholdRange: {min: 99}}\n"
    )
    good = run(tmp_path, "release.canary", {"deploy/canary.yaml": with_metrics})
    assert good.findings == ()
    assert "deploy/canary.yaml:8: Flagger Canary 'web' analyses request-success-rate" in good.evidence


BLUEGREEN = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  strategy:
    blueGreen:
      activeService: web
      previewService: web-preview
@EXTRA@"""


def test_blue_green_without_pre_promotion_analysis_is_partial(tmp_path: Path) -> None:
    result = run(tmp_path, "release.blue-green", {"k8s/web.yaml": BLUEGREEN.replace("@EXTRA@", "")})
    assert result.status is Status.PARTIAL
    assert result.summary == "blue/green is configured, but green is promoted without a pre-promotion check"
    assert found(result) == [("RELEASE-BLUEGREEN-NO-PREPROMOTION", "k8s/web.yaml:7")]


def test_blue_green_with_pre_promotion_analysis_or_manual_promotion_passes(tmp_path: Path) -> None:
    extra = "      prePromotionAnalysis:\n        templates:\n          - templateName: success-rate\n"
    result = run(
        tmp_path, "release.blue-green", {"k8s/web.yaml": BLUEGREEN.replace("@EXTRA@", extra) + TEMPLATE}
    )
    assert result.status is Status.PASS and result.findings == ()
    assert (
        "k8s/web.yaml:7: Argo Rollout 'web' judges green before promotion (success-rate)" in result.evidence
    )
    manual = run(
        tmp_path,
        "release.blue-green",
        {"k8s/web.yaml": BLUEGREEN.replace("@EXTRA@", "      autoPromotionEnabled: false\n")},
    )
    assert manual.status is Status.PASS and manual.findings == ()


JUDGE = """\
groups: {latency: 70, security: 30}
metrics:
  - {name: latency_ms, group: latency}
  - {name: denied, kind: security_rate, numerator: http_401_403, denominator: requests}
"""

WORKFLOW = """\
name: release
on: {push: {branches: [main]}}
jobs:
  canary:
    runs-on: ubuntu-latest
    steps:
      - run: secloop canary @SUB@ --format json deploy/canary-judge.yaml --baseline b.csv --canary c.csv
"""


def test_judge_step_in_ci_makes_the_canary_automated(tmp_path: Path) -> None:
    files = {
        ".github/workflows/release.yml": WORKFLOW.replace("@SUB@", "judge"),
        "deploy/canary-judge.yaml": JUDGE,
    }
    result = run(tmp_path, "release.canary", files)
    assert result.status is Status.PASS
    assert result.summary == "canary releases are judged by `secloop canary judge` in CI"
    assert (
        "deploy/canary-judge.yaml: canary judge config with 2 metrics (1 critical, 1 security)"
        in result.evidence
    )
    assert any(line.endswith("runs `secloop canary judge`") for line in result.evidence)
    assert result.findings == ()


def test_invalid_judge_config_is_a_finding_and_no_pass(tmp_path: Path) -> None:
    files = {
        ".github/workflows/release.yml": WORKFLOW.replace("@SUB@", "judge"),
        "deploy/canary-judge.yaml": JUDGE.replace("group: latency}", "group: latency, colour: red}"),
    }
    result = run(tmp_path, "release.canary", files)
    assert result.status is Status.FAIL
    assert found(result) == [("RELEASE-CANARY-JUDGE-CONFIG-INVALID", "deploy/canary-judge.yaml:3")]
    assert (
        result.findings[0].message == "canary judge config does not validate: unknown key 'colour' in metric"
    )


def test_bluegreen_step_in_ci_passes_blue_green(tmp_path: Path) -> None:
    files = {
        ".github/workflows/release.yml": WORKFLOW.replace("@SUB@", "bluegreen"),
        "deploy/canary-judge.yaml": JUDGE,
    }
    result = run(tmp_path, "release.blue-green", files)
    assert result.status is Status.PASS
    assert result.summary == "green is judged by `secloop canary bluegreen` in CI before the switch"


EXPERIMENT = """\
variations:
  - {name: control, users: 1000}
  - {name: b, users: 1000}
metrics:
  - name: signup
    type: proportion
    variations:
      control: {count: 100}
      b: {count: 120}
"""


def test_experiment_definitions_back_ab_testing(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "release.ab-testing",
        {"experiments/signup.yaml": EXPERIMENT, "experiments/notes.yaml": "a: 1\n"},
    )
    assert result.status is Status.PASS
    assert "experiments/signup.yaml: experiment with 1 metrics over control, b" in result.evidence
    assert result.findings == ()


def test_invalid_experiment_is_a_finding(tmp_path: Path) -> None:
    bad = EXPERIMENT.replace("{count: 120}", "{count: 1200}")
    result = run(tmp_path, "release.ab-testing", {"experiments/signup.yaml": bad})
    assert result.status is Status.FAIL
    assert found(result) == [("RELEASE-EXPERIMENT-INVALID", "experiments/signup.yaml:9")]
