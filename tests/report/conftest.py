"""A hand-built assessment that exercises every branch a renderer has.

Three stages (code, build, pipeline), practices in every status, one finding in each policy state
(new, baseline-unchanged, inline-suppressed, config-suppressed with expiry), skipped entries with
and without a line, one measured and one unmeasured metric, next steps and a failed gate. Rules are
declared here so the renderers' tests depend on no engine's rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from secloop.core.enums import BaselineState, Confidence, Level, Severity, Stage, Status
from secloop.core.model import (
    Assessment,
    Finding,
    GateOutcome,
    Location,
    Metric,
    NextStep,
    PracticeResult,
    Skipped,
    Suppression,
)
from secloop.core.rules import Rule, RuleRegistry
from secloop.practices.catalog import Practice
from secloop.report.interface import RenderInput

COMMIT = "0123456789abcdef0123456789abcdef01234567"
AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

SECRET_RULE = Rule(
    id="TEST-SECRET",
    title="Hard-coded test token",
    stage=Stage.CODE,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    description="A credential is committed to the repository.",
    fix="Revoke the token and load it from the secret store.",
    cwe=(798,),
)
SAST_RULE = Rule(
    id="TEST-XSS",
    title="Unescaped template output",
    stage=Stage.BUILD,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description="User input reaches HTML without escaping.",
    fix="Escape the value or use the template engine's autoescape.",
    cwe=(79,),
    asvs=("5.3.3",),
)
PIPELINE_RULE = Rule(
    id="TEST-PPE",
    title="Untrusted checkout in privileged workflow",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description="A pull_request_target workflow checks out the pull request's head.",
    fix="Check out the base ref, or split the workflow.",
    cwe=(829,),
    cicd_sec=(4,),
)
RULES = RuleRegistry([SECRET_RULE, SAST_RULE, PIPELINE_RULE])


def _practice(pid: str, stage: Stage, title: str, rules: tuple[str, ...] = ()) -> Practice:
    return Practice(
        id=pid,
        stage=stage,
        title=title,
        why=f"Why {title.lower()} matters.",
        reference="OWASP DevSecOps Guideline",
        evidence="Files in the repository.",
        meaning=((Status.PASS, "done"), (Status.FAIL, "missing")),
        effort=Level.LOW,
        impact=Level.HIGH,
        rules=rules,
        engine=None,
    )


CATALOG = (
    _practice("code.secrets", Stage.CODE, "No secrets in the repository", ("TEST-SECRET",)),
    _practice("code.review", Stage.CODE, "Changes are reviewed"),
    _practice("build.sast", Stage.BUILD, "Static analysis runs on every change", ("TEST-XSS",)),
    _practice("build.sca", Stage.BUILD, "Dependencies are scanned"),
    _practice("pipeline.ppe", Stage.PIPELINE, "No poisoned pipeline execution", ("TEST-PPE",)),
    _practice("pipeline.runners", Stage.PIPELINE, "Self-hosted runners are isolated"),
)

NEW_SECRET = Finding(
    rule_id="TEST-SECRET",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    message="Token ghp_abcd… (sha256 1f2e3d4c) committed",
    locations=(Location("src/app config.py", 12, 5, 12, 45, snippet="TOKEN = 'ghp_abcd…'"),),
    fingerprint="fp-secret-new",
    fix="Revoke the token.",
)
INLINE_SECRET = Finding(
    rule_id="TEST-SECRET",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    message="Token ghp_ffff… (sha256 9a8b7c6d) committed",
    locations=(Location("tests/fixtures/key.txt", 3),),
    fingerprint="fp-secret-inline",
    suppression=Suppression("inline", "test fixture, not a real key", None, "tests/fixtures/key.txt:3"),
)
UNCHANGED_XSS = Finding(
    rule_id="TEST-XSS",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    message="request.args['q'] rendered with |safe",
    locations=(Location("web/views.py", 40, 9), Location("web/templates/search.html", 7)),
    fingerprint="fp-xss-unchanged",
    properties=(("sink", "safe-filter"),),
    baseline_state=BaselineState.UNCHANGED,
)
CONFIG_PPE = Finding(
    rule_id="TEST-PPE",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    message="Job build checks out ${{ github.event.pull_request.head.sha }}",
    locations=(Location(".github/workflows/pr.yml", 18, 7, 18, 60),),
    fingerprint="fp-ppe-config",
    suppression=Suppression("config", "tracked in SEC-12", date(2025, 9, 30), "secloop.toml"),
)

RESULTS = (
    PracticeResult(
        "code.secrets",
        Stage.CODE,
        Status.FAIL,
        0,
        "1 active secret in the tree",
        evidence=("src/app config.py:12: token committed",),
        findings=(NEW_SECRET, INLINE_SECRET),
    ),
    PracticeResult(
        "code.review",
        Stage.CODE,
        Status.PASS,
        100,
        "CODEOWNERS and branch protection found",
        evidence=(".github/CODEOWNERS: 4 owners", ".github/settings.yml: 2 reviews required"),
    ),
    PracticeResult(
        "build.sast",
        Stage.BUILD,
        Status.PARTIAL,
        60,
        "SAST runs on push but not on pull requests",
        evidence=(".github/workflows/ci.yml: bandit on push",),
        findings=(UNCHANGED_XSS,),
    ),
    PracticeResult(
        "build.sca",
        Stage.BUILD,
        Status.UNKNOWN,
        0,
        "the dependency engine is not available yet",
    ),
    PracticeResult(
        "pipeline.ppe",
        Stage.PIPELINE,
        Status.PASS,
        100,
        "no privileged workflow checks out untrusted code",
        evidence=(".github/workflows/pr.yml: 1 finding suppressed",),
        findings=(CONFIG_PPE,),
    ),
    PracticeResult(
        "pipeline.runners",
        Stage.PIPELINE,
        Status.NOT_APPLICABLE,
        100,
        "no self-hosted runners are used",
    ),
)

SKIPPED = (
    Skipped(".github/workflows/broken.yml", "YAML parse error: mapping values are not allowed here", 7, 3),
    Skipped("assets/big.bin", "binary file over the 1 MiB limit"),
)

METRICS = (
    Metric(
        "deployment-frequency",
        "Deployment frequency",
        3.5,
        "per week",
        "Deployments to production per week over the last 90 days",
        tier="high",
        samples=14,
    ),
    Metric(
        "lead-time",
        "Lead time for changes",
        None,
        "hours",
        "Median time from commit to production",
        reason="no deployment events found",
    ),
)

NEXT_STEPS = (
    NextStep(
        "code.secrets", "No secrets in the repository", Stage.CODE, Status.FAIL, "low", "high", "Leaks."
    ),
    NextStep(
        "build.sast",
        "Static analysis runs on every change",
        Stage.BUILD,
        Status.PARTIAL,
        "low",
        "high",
        "Bugs.",
    ),
)

GATE = GateOutcome(
    passed=False,
    fail_on=Severity.HIGH,
    fail_on_unknown=True,
    reasons=(
        "1 active finding(s) at or above high (worst: critical)",
        "1 required practice(s) unknown: build.sca",
    ),
)


def sample_input() -> RenderInput:
    assessment = Assessment(
        target="shop",
        commit=COMMIT,
        created_at=AS_OF,
        tool_version="0.1.0",
        config_digest="sha256:c0ffee",
        results=RESULTS,
        metrics=METRICS,
        metrics_reason=None,
        snapshots=(("osv", "2025-05-31"),),
        next_steps=NEXT_STEPS,
        skipped=SKIPPED,
        gate=GATE,
    )
    return RenderInput(assessment=assessment, rules=RULES, catalog=CATALOG)


@pytest.fixture
def sample_assessment() -> RenderInput:
    return sample_input()
