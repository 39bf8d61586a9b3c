from __future__ import annotations

from datetime import date

from secloop.core.baseline import Baseline
from secloop.core.config import Config, SuppressionEntry
from secloop.core.enums import BaselineState, Confidence, Severity, Stage, Status
from secloop.core.model import Finding, Location, NextStep, PracticeResult
from secloop.core.policy import apply_policy, decide_gate, next_steps, severity_counts

TODAY = date(2026, 11, 27)
FILES = {
    "app.py": [
        "import os",
        "x = eval(data)  # secloop: ignore[RULE-A] input is a constant table",
        "# secloop: ignore[RULE-A]",
        "y = eval(data)",
        "z = eval(data)",
        "# secloop: ignore[RULE-B, RULE-A] -- both reviewed in PR 12",
        "w = eval(data)",
    ]
}


def read_line(path: str, number: int) -> str | None:
    lines = FILES.get(path)
    if lines is None or not 0 < number <= len(lines):
        return None
    return lines[number - 1]


def finding(
    line: int, rule: str = "RULE-A", severity: Severity = Severity.HIGH, fp: str | None = None
) -> Finding:
    return Finding(
        rule_id=rule,
        severity=severity,
        confidence=Confidence.HIGH,
        message="m",
        locations=(Location("app.py", line, 1),),
        fingerprint=fp or f"fp-{rule}-{line}",
    )


def result(*findings: Finding, status: Status = Status.FAIL, pid: str = "code.x") -> PracticeResult:
    return PracticeResult(pid, Stage.CODE, status, 0, "s", (), tuple(findings))


def no_rank(_: PracticeResult) -> NextStep | None:
    return None


def run(
    results: list[PracticeResult],
    config: Config | None = None,
    suppressions: tuple[tuple[SuppressionEntry, str], ...] = (),
    baseline: Baseline | None = None,
) -> tuple[list[Finding], object]:
    outcome = apply_policy(
        results,
        config or Config(),
        read_line=read_line,
        suppressions=suppressions,
        baseline=baseline,
        today=TODAY,
        rank=no_rank,
    )
    return [f for r in outcome.results for f in r.findings], outcome


def test_inline_suppression_same_line() -> None:
    (f,), _ = run([result(finding(2))])
    assert f.suppression is not None
    assert (f.suppression.kind, f.suppression.reason, f.suppression.source) == (
        "inline",
        "input is a constant table",
        "app.py:2",
    )
    assert not f.active


def test_inline_suppression_without_reason_is_ignored_and_noted() -> None:
    (f,), outcome = run([result(finding(4))])
    assert f.suppression is None and f.active
    (note,) = outcome.notes  # type: ignore[attr-defined]
    assert note.path == "app.py" and note.line == 3
    assert "a reason is mandatory" in note.reason


def test_inline_suppression_previous_line_with_several_rules() -> None:
    (f,), _ = run([result(finding(7))])
    assert f.suppression is not None and f.suppression.reason == "both reviewed in PR 12"


def test_inline_suppression_other_rule_does_not_apply() -> None:
    (f,), _ = run([result(finding(2, rule="RULE-C"))])
    assert f.suppression is None


def test_no_comment_no_suppression() -> None:
    (f,), _ = run([result(finding(5))])
    assert f.active


def test_audit_mode_ignores_inline() -> None:
    (f,), _ = run([result(finding(2))], Config(audit=True))
    assert f.suppression is None and f.active


def test_config_suppression_with_path_and_expiry() -> None:
    entry = SuppressionEntry(rule="RULE-A", path="app.*", reason="accepted risk", expires=date(2026, 12, 31))
    (f,), _ = run([result(finding(5))], suppressions=((entry, "secloop.toml"),))
    assert f.suppression is not None
    assert (f.suppression.kind, f.suppression.expires, f.suppression.source) == (
        "config",
        date(2026, 12, 31),
        "secloop.toml",
    )


def test_expired_config_suppression_counts_again() -> None:
    entry = SuppressionEntry(rule="*", reason="accepted risk", expires=date(2026, 11, 1))
    (f,), outcome = run([result(finding(5))], suppressions=((entry, "secloop.toml"),))
    assert f.active
    (note,) = outcome.notes  # type: ignore[attr-defined]
    assert note.reason == "suppression of * expired on 2026-11-01; the finding counts again"


def test_config_suppression_by_fingerprint_and_wrong_path() -> None:
    by_fp = SuppressionEntry(rule="RULE-A", fingerprint="fp-RULE-A-5", reason="known")
    other_path = SuppressionEntry(rule="RULE-A", path="lib/*", reason="known")
    f5, f7 = run(
        [result(finding(5), finding(7, rule="RULE-X"))], suppressions=((by_fp, "s"), (other_path, "s"))
    )[0]
    assert f5.suppression is not None
    assert f7.suppression is None


def test_baseline_marks_unchanged_and_gate_ignores_them() -> None:
    baseline = Baseline.from_findings([finding(5)])
    findings, outcome = run(
        [result(finding(5), finding(7, rule="RULE-X", severity=Severity.LOW))], baseline=baseline
    )
    assert [f.baseline_state for f in findings] == [BaselineState.UNCHANGED, BaselineState.NEW]
    assert outcome.gate.passed  # type: ignore[attr-defined]


def test_gate_fails_on_threshold_and_names_worst() -> None:
    gate = decide_gate(
        [result(finding(5, severity=Severity.CRITICAL), finding(7, severity=Severity.MEDIUM))], Config()
    )
    assert not gate.passed
    assert gate.reasons == ("1 active finding(s) at or above high (worst: critical)",)


def test_gate_none_threshold_passes() -> None:
    assert decide_gate([result(finding(5, severity=Severity.CRITICAL))], Config(fail_on="none")).passed


def test_gate_fail_on_unknown_required_only() -> None:
    results = [result(status=Status.UNKNOWN, pid="code.a"), result(status=Status.UNKNOWN, pid="code.b")]
    assert decide_gate(results, Config()).passed
    gate = decide_gate(results, Config(fail_on_unknown=True, required_practices=("code.b",)))
    assert gate.reasons == ("1 required practice(s) unknown: code.b",)
    gate = decide_gate(results, Config(fail_on_unknown=True))
    assert gate.reasons == ("2 required practice(s) unknown: code.a, code.b",)


def test_next_steps_rank_impact_then_effort_then_status() -> None:
    levels = {
        "code.a": ("high", "high"),
        "code.b": ("high", "low"),
        "code.c": ("low", "low"),
        "code.d": ("high", "low"),
        "code.e": ("medium", "low"),
    }

    def rank(r: PracticeResult) -> NextStep:
        impact, effort = levels[r.practice_id]
        return NextStep(r.practice_id, r.practice_id, r.stage, r.status, effort, impact, "why")

    results = [
        result(status=Status.FAIL, pid="code.a"),
        result(status=Status.PARTIAL, pid="code.b"),
        result(status=Status.FAIL, pid="code.c"),
        result(status=Status.FAIL, pid="code.d"),
        result(status=Status.FAIL, pid="code.e"),
        result(status=Status.UNKNOWN, pid="code.f"),
    ]
    assert [s.practice_id for s in next_steps(results, rank)] == ["code.d", "code.b", "code.a"]


def test_severity_counts() -> None:
    counts = severity_counts([finding(1, severity=Severity.LOW), finding(2, severity=Severity.LOW)])
    assert counts[Severity.LOW] == 2 and counts[Severity.HIGH] == 0


def test_a_finding_reported_by_two_practices_is_shown_once() -> None:
    shared = finding(5, severity=Severity.CRITICAL)
    first = result(shared, pid="code.a")
    second = result(shared, finding(7, rule="RULE-X", severity=Severity.LOW), pid="code.b")
    outcome = apply_policy(
        [first, second],
        Config(),
        read_line=read_line,
        suppressions=(),
        baseline=None,
        today=TODAY,
        rank=no_rank,
    )
    a, b = outcome.results
    assert [f.fingerprint for f in a.findings] == ["fp-RULE-A-5"]
    assert [f.rule_id for f in b.findings] == ["RULE-X"]
    assert b.evidence == ("1 finding(s) listed under code.a",)
    assert outcome.gate.reasons == ("1 active finding(s) at or above high (worst: critical)",)
