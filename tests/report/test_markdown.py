from __future__ import annotations

from dataclasses import replace

import pytest

from secloop.core.model import GateOutcome, Location
from secloop.report import markdown
from secloop.report.interface import RenderInput


def _block(page: str, heading: str) -> list[str]:
    """The lines under one heading, up to the next heading of any level."""
    lines = page.splitlines()
    start = lines.index(heading) + 1
    end = next((n for n in range(start, len(lines)) if lines[n].startswith("#")), len(lines))
    return [line for line in lines[start:end] if line]


def test_header_states_the_gate_result(sample_assessment: RenderInput) -> None:
    page = markdown.render(sample_assessment)
    assert page.splitlines()[:8] == [
        "## ❌ secloop: gate failed",
        "",
        "**Target** shop · **Commit** `0123456789abcdef0123456789abcdef01234567` · "
        "**As of** 2025-06-01T12:00:00Z",
        "",
        "Gate: fail on high; unknown fails closed.",
        "- 1 active finding(s) at or above high (worst: critical)",
        "- 1 required practice(s) unknown: build.sca",
        "",
    ]


def test_gate_passed_and_not_evaluated(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    passed = replace(a, gate=GateOutcome(True, None, False, ()), commit=None)
    lines = markdown.render(replace(sample_assessment, assessment=passed)).splitlines()
    assert lines[0] == "## ✅ secloop: gate passed"
    assert lines[2].startswith("**Target** shop · **Commit** not a git repository · ")
    assert lines[4] == "Gate: fail on none; unknown tolerated."
    none = markdown.render(replace(sample_assessment, assessment=replace(a, gate=None))).splitlines()
    assert none[0] == "## secloop: gate not evaluated"
    assert not none[3].startswith("Gate:")


def test_dora_table_with_the_reason_for_a_missing_metric(sample_assessment: RenderInput) -> None:
    assert _block(markdown.render(sample_assessment), "### Delivery (DORA)") == [
        "| Metric | Value | Tier | Samples | Definition or reason |",
        "|---|---|---|---|---|",
        "| Deployment frequency | 3.5 per week | high | 14 "
        "| Deployments to production per week over the last 90 days |",
        "| Lead time for changes | not measured |  | 0 | no deployment events found |",
    ]


def test_dora_without_metrics_gives_the_reason(sample_assessment: RenderInput) -> None:
    a = replace(sample_assessment.assessment, metrics=(), metrics_reason="no delivery engine yet")
    page = markdown.render(replace(sample_assessment, assessment=a))
    assert _block(page, "### Delivery (DORA)") == ["no delivery engine yet"]
    both = replace(sample_assessment.assessment, metrics_reason="partial history")
    assert _block(markdown.render(replace(sample_assessment, assessment=both)), "### Delivery (DORA)")[0] == (
        "partial history"
    )
    bare = replace(a, metrics_reason=None)
    assert _block(markdown.render(replace(sample_assessment, assessment=bare)), "### Delivery (DORA)") == [
        "No delivery metrics were computed."
    ]


def test_stage_summary_counts_statuses(sample_assessment: RenderInput) -> None:
    assert _block(markdown.render(sample_assessment), "### Stages") == [
        "| Stage | ✅ pass | 🟡 partial | ❌ fail | ❔ unknown | ➖ n/a |",
        "|---|---|---|---|---|---|",
        "| code | 1 | 0 | 1 | 0 | 0 |",
        "| build | 0 | 1 | 0 | 1 | 0 |",
        "| pipeline | 1 | 0 | 0 | 0 | 1 |",
    ]


def test_stage_section_lists_practices_and_findings(sample_assessment: RenderInput) -> None:
    assert _block(markdown.render(sample_assessment), "#### code") == [
        "| Practice | Status | Score | Summary |",
        "|---|---|---|---|",
        "| No secrets in the repository `code.secrets` | ❌ fail | 0 | 1 active secret in the tree |",
        "| Changes are reviewed `code.review` | ✅ pass | 100 | CODEOWNERS and branch protection found |",
        "| Severity | Rule | Location | Message | State |",
        "|---|---|---|---|---|",
        "| critical | [`TEST-SECRET`](https://secloop.dev/docs/rules#test-secret) | `src/app config.py:12:5` "
        "| Token ghp\\_abcd… (sha256 1f2e3d4c) committed | **new** |",
        "| critical | [`TEST-SECRET`](https://secloop.dev/docs/rules#test-secret) "
        "| `tests/fixtures/key.txt:3` | Token ghp\\_ffff… (sha256 9a8b7c6d) committed "
        "| suppressed (inline): test fixture, not a real key |",
    ]


def test_baseline_and_config_suppression_states(sample_assessment: RenderInput) -> None:
    page = markdown.render(sample_assessment)
    assert _block(page, "#### build")[-1] == (
        "| medium | [`TEST-XSS`](https://secloop.dev/docs/rules#test-xss) | `web/views.py:40:9` "
        "| request.args\\['q'\\] rendered with \\|safe | baseline (unchanged) |"
    )
    assert _block(page, "#### pipeline")[-1] == (
        "| high | [`TEST-PPE`](https://secloop.dev/docs/rules#test-ppe) | `.github/workflows/pr.yml:18:7` "
        "| Job build checks out ${{ github.event.pull\\_request.head.sha }} "
        "| suppressed (config until 2025-09-30): tracked in SEC-12 |"
    )
    assert _block(page, "#### pipeline")[3] == (
        "| Self-hosted runners are isolated `pipeline.runners` | ➖ not-applicable | 100 "
        "| no self-hosted runners are used |"
    )


def test_next_steps_and_skipped(sample_assessment: RenderInput) -> None:
    page = markdown.render(sample_assessment)
    assert _block(page, "### Next steps") == [
        "1. **No secrets in the repository** (`code.secrets`, code, fail; effort low, impact high): Leaks.",
        "2. **Static analysis runs on every change** (`build.sast`, build, partial; "
        "effort low, impact high): Bugs.",
    ]
    assert _block(page, "### Skipped") == [
        "- `.github/workflows/broken.yml:7:3`: YAML parse error: mapping values are not allowed here",
        "- `assets/big.bin`: binary file over the 1 MiB limit",
    ]


def test_empty_next_steps_and_no_skipped_section(sample_assessment: RenderInput) -> None:
    a = replace(sample_assessment.assessment, next_steps=(), skipped=())
    page = markdown.render(replace(sample_assessment, assessment=a))
    assert _block(page, "### Next steps") == ["Nothing to improve first: no practice fails or is partial."]
    assert "### Skipped" not in page
    assert page.endswith("partial.\n")


def test_pipes_newlines_and_html_are_escaped_in_cells(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    first = a.results[0]
    finding = replace(
        first.findings[0],
        message="a|b\n<script>alert(1)</script> & *bold*",
        rule_id="UNREGISTERED",
        locations=(Location("dir|x/we`ird.py", 2),),
    )
    results = (replace(first, findings=(finding,), summary="one | two"), *a.results[1:])
    page = markdown.render(replace(sample_assessment, assessment=replace(a, results=results)))
    assert "<script>" not in page
    block = _block(page, "#### code")
    assert block[2] == "| No secrets in the repository `code.secrets` | ❌ fail | 0 | one \\| two |"
    assert block[6] == (
        "| critical | `UNREGISTERED` | ``dir\\|x/we`ird.py:2`` "
        "| a\\|b &lt;script&gt;alert(1)&lt;/script&gt; &amp; \\*bold\\* | **new** |"
    )
    for line in block:
        assert line.replace("\\|", "").count("|") in (5, 6)


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`edge`", "`` `edge` ``"),
        ("x|y", "`x\\|y`"),
    ],
)
def test_code_span(value: str, span: str) -> None:
    assert markdown.code(value) == span


def test_code_span_outside_tables_keeps_pipes() -> None:
    assert markdown.code("x|y", in_table=False) == "`x|y`"


def test_text_escapes_markdown_and_html() -> None:
    assert markdown.text("[link](x) _a_ #1 ~s~ <b>&") == "\\[link\\](x) \\_a\\_ \\#1 \\~s\\~ &lt;b&gt;&amp;"


def test_markdown_is_deterministic(sample_assessment: RenderInput) -> None:
    assert markdown.render(sample_assessment) == markdown.render(sample_assessment)
