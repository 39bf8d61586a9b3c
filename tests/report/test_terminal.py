from __future__ import annotations

import io

from rich.console import Console

from secloop.report.interface import RenderInput
from secloop.report.terminal import render_terminal


def rendered(data: RenderInput) -> str:
    buffer = io.StringIO()
    render_terminal(data, Console(file=buffer, width=250, color_system=None, highlight=False))
    return buffer.getvalue()


def test_terminal_shows_stages_findings_steps_and_gate(sample_assessment: RenderInput) -> None:
    out = rendered(sample_assessment)
    a = sample_assessment.assessment
    for stage in {r.stage for r in a.results}:
        assert stage.value.upper() in out
    for f in a.findings:
        assert f.rule_id in out
        if f.suppression is not None:
            assert f"[suppressed ({f.suppression.kind}): {f.suppression.reason}]" in out
    for number, step in enumerate(a.next_steps, start=1):
        assert f"{number}." in out and step.title in out
    for s in a.skipped:
        assert s.reason[:40] in out
    assert "gate: FAILED" in out
    assert "[in baseline]" in out


def test_terminal_dora_panel_shows_values_and_reasons(sample_assessment: RenderInput) -> None:
    out = rendered(sample_assessment)
    for m in sample_assessment.assessment.metrics:
        assert m.title in out
        if m.value is None:
            assert "—" in out
