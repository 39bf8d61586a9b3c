from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from secloop.core.model import GateOutcome
from secloop.report import html
from secloop.report.interface import RenderInput


class _Page(HTMLParser):
    """Collects every start tag with its attributes, the ids in order and the text of each id'd element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if "id" in values:
            self.ids.append(values["id"])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{re.escape(section_id)}"[^>]*>(.*?)</section>', page, re.S)
    assert match, section_id
    return match.group(1)


def test_page_is_self_contained(sample_assessment: RenderInput) -> None:
    page = html.render(sample_assessment)
    parsed = _parse(page)
    tags = {tag for tag, _ in parsed.tags}
    assert "script" not in tags
    assert "link" not in tags
    assert "iframe" not in tags
    for tag, attrs in parsed.tags:
        assert "http" not in attrs.get("src", ""), tag
        if tag == "link":
            assert not any("http" in value for value in attrs.values())
    assert "@import" not in page
    assert "url(" not in page
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; ' in page


def test_sections_appear_in_order(sample_assessment: RenderInput) -> None:
    ids = _parse(html.render(sample_assessment)).ids
    order = [
        "gate",
        "delivery",
        "loop",
        "stage-code",
        "stage-build",
        "stage-pipeline",
        "next-steps",
        "skipped",
    ]
    assert [i for i in ids if i in order] == order


def test_header_names_target_commit_as_of_and_gate(sample_assessment: RenderInput) -> None:
    page = html.render(sample_assessment)
    assert "<title>secloop: shop</title>" in page
    assert "<h1>secloop assessment: shop</h1>" in page
    assert "<dt>Commit</dt><dd><code>0123456789abcdef0123456789abcdef01234567</code></dd>" in page
    assert "<dt>As of</dt><dd><time>2025-06-01T12:00:00Z</time></dd>" in page
    assert "<dt>Snapshot osv</dt><dd>2025-05-31</dd>" in page
    assert (
        '<div class="gate gate-failed" id="gate"><strong>Gate failed</strong> (fail on severity: high; '
        "unknown required practices fail the gate)<ul>"
        "<li>1 active finding(s) at or above high (worst: critical)</li>"
        "<li>1 required practice(s) unknown: build.sca</li></ul></div>"
    ) in page


def test_gate_passed_and_not_evaluated(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    passed = replace(a, gate=GateOutcome(True, None, False, ()), commit=None)
    page = html.render(replace(sample_assessment, assessment=passed))
    assert (
        '<div class="gate gate-passed" id="gate"><strong>Gate passed</strong> '
        "(fail on severity: none; unknown is tolerated)</div>"
    ) in page
    assert "<dt>Commit</dt><dd>not a git repository</dd>" in page
    none = html.render(replace(sample_assessment, assessment=replace(a, gate=None)))
    assert '<div class="gate gate-none" id="gate"><strong>Gate not evaluated</strong></div>' in none


def test_dora_panel_shows_metrics_and_why_one_is_missing(sample_assessment: RenderInput) -> None:
    delivery = _section(html.render(sample_assessment), "delivery")
    assert (
        '<tr id="metric-deployment-frequency"><td>Deployment frequency</td><td>3.5 per week</td>'
        "<td>high</td><td>14</td><td>Deployments to production per week over the last 90 days</td>"
        "<td></td></tr>"
    ) in delivery
    assert (
        '<tr id="metric-lead-time"><td>Lead time for changes</td><td>not measured</td><td></td><td>0</td>'
        "<td>Median time from commit to production</td><td>no deployment events found</td></tr>"
    ) in delivery


def test_dora_panel_without_metrics_gives_the_reason(sample_assessment: RenderInput) -> None:
    a = replace(
        sample_assessment.assessment, metrics=(), metrics_reason="the delivery engine is not available"
    )
    delivery = _section(html.render(replace(sample_assessment, assessment=a)), "delivery")
    assert delivery == '<h2>Delivery (DORA)</h2><p class="reason">the delivery engine is not available</p>'
    bare = replace(a, metrics_reason=None)
    assert "no delivery metrics were computed" in html.render(replace(sample_assessment, assessment=bare))


def test_loop_picture_colours_each_stage(sample_assessment: RenderInput) -> None:
    loop = _section(html.render(sample_assessment), "loop")
    groups = dict(re.findall(r'<g class="loop-stage" data-stage="([a-z]+)" data-status="([a-z -]+)">', loop))
    assert groups == {
        "pipeline": "pass",
        "plan": "no practices",
        "code": "fail",
        "build": "partial",
        "test": "no practices",
        "deploy": "no practices",
        "release": "no practices",
        "operate": "no practices",
        "monitor": "no practices",
    }
    assert loop.startswith('<h2>The loop</h2><svg xmlns="http://www.w3.org/2000/svg"')


def test_stage_table_lists_practices_with_badges_evidence_and_findings(
    sample_assessment: RenderInput,
) -> None:
    code = _section(html.render(sample_assessment), "stage-code")
    assert code.startswith(
        '<h2>code <span class="badge status-fail" style="background:#c62828;color:#fff">fail</span></h2>'
    )
    assert (
        '<tr id="practice-code.review"><td>Changes are reviewed<br><code>code.review</code></td>'
        '<td><span class="badge status-pass" style="background:#2e7d32;color:#fff">pass</span></td>'
        '<td>100</td><td>CODEOWNERS and branch protection found<div class="meaning">done</div></td>'
        "<td><ul><li>.github/CODEOWNERS: 4 owners</li>"
        "<li>.github/settings.yml: 2 reviews required</li></ul></td>"
        "<td></td></tr>"
    ) in code
    assert (
        '<li><span class="finding" data-fingerprint="fp-secret-new"><span class="sev sev-critical">critical'
        '</span> <a href="https://secloop.dev/docs/rules#test-secret"><code>TEST-SECRET</code></a> '
        "<code>src/app config.py:12:5</code> Token ghp_abcd… (sha256 1f2e3d4c) committed"
        ' <span class="mark">[new]</span></span></li>'
    ) in code
    assert (
        '<span class="mark">[suppressed (inline, tests/fixtures/key.txt:3): test fixture, not a real key]'
        "</span>"
    ) in code


def test_baseline_and_config_suppression_marks(sample_assessment: RenderInput) -> None:
    page = html.render(sample_assessment)
    build = _section(page, "stage-build")
    assert '<span class="finding inactive" data-fingerprint="fp-xss-unchanged">' in build
    assert ' <span class="mark">also <code>web/templates/search.html:7</code></span>' in build
    assert '<span class="mark">[baseline: unchanged]</span>' in build
    assert "request.args[&#x27;q&#x27;] rendered with |safe" in build
    pipeline = _section(page, "stage-pipeline")
    assert (
        '<span class="mark">[new]</span> <span class="mark">[suppressed (config, secloop.toml, '
        "until 2025-09-30): tracked in SEC-12]</span>"
    ) in pipeline
    assert (
        '<span class="badge status-not-applicable" style="background:#a8a8a8;color:#1f1f1f">'
        "not-applicable</span>"
    ) in pipeline


def test_everything_is_escaped(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    hostile = "<script>alert(1)</script>"
    first = a.results[0]
    finding = replace(first.findings[0], message=hostile, rule_id="X<img src=x>")
    results = (
        replace(first, findings=(finding,), summary='"><b>', evidence=(hostile,)),
        *a.results[1:],
    )
    step = replace(a.next_steps[0], why=hostile)
    evil = replace(
        a,
        target="<i>shop</i>",
        results=results,
        next_steps=(step,),
        skipped=(replace(a.skipped[0], reason=hostile),),
    )
    page = html.render(replace(sample_assessment, assessment=evil))
    assert "<script>" not in page
    assert "<img" not in page
    assert "<i>shop" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4
    assert "<code>X&lt;img src=x&gt;</code>" in page
    assert "&quot;&gt;&lt;b&gt;" in page
    assert "http" not in "".join(attrs.get("src", "") for _, attrs in _parse(page).tags)


def test_next_steps_and_skipped(sample_assessment: RenderInput) -> None:
    page = html.render(sample_assessment)
    assert _section(page, "next-steps") == (
        "<h2>Next steps</h2><ol>"
        "<li><strong>No secrets in the repository</strong> (<code>code.secrets</code>, code, now fail; "
        "effort low, impact high): Leaks.</li>"
        "<li><strong>Static analysis runs on every change</strong> (<code>build.sast</code>, build, "
        "now partial; effort low, impact high): Bugs.</li></ol>"
    )
    assert _section(page, "skipped") == (
        "<h2>Skipped</h2><ul>"
        "<li><code>.github/workflows/broken.yml:7:3</code>: YAML parse error: mapping values are not "
        "allowed here</li>"
        "<li><code>assets/big.bin</code>: binary file over the 1 MiB limit</li></ul>"
    )


def test_empty_next_steps_and_skipped_say_so(sample_assessment: RenderInput) -> None:
    a = replace(sample_assessment.assessment, next_steps=(), skipped=())
    page = html.render(replace(sample_assessment, assessment=a))
    assert _section(page, "next-steps").endswith(
        "<p>Nothing to improve first: no practice fails or is partial.</p>"
    )
    assert _section(page, "skipped") == "<h2>Skipped</h2><p>Nothing was skipped.</p>"


def test_practice_missing_from_catalog_falls_back_to_its_id(sample_assessment: RenderInput) -> None:
    data = replace(sample_assessment, catalog=())
    code = _section(html.render(data), "stage-code")
    assert '<tr id="practice-code.review"><td>code.review<br><code>code.review</code></td>' in code
    assert '<div class="meaning">' not in code


def test_metric_value_formatting(sample_assessment: RenderInput) -> None:
    lead = sample_assessment.assessment.metrics[1]
    assert html.metric_value(replace(lead, value=2.0)) == "2 hours"
    assert html.metric_value(replace(lead, value=0.126, unit="")) == "0.13"
    assert html.metric_value(lead) == "not measured"


def test_html_is_deterministic(sample_assessment: RenderInput) -> None:
    page = html.render(sample_assessment)
    assert page == html.render(sample_assessment)
    assert page.startswith("<!DOCTYPE html>\n")
    assert page.endswith("</html>\n")


def test_renderer_never_filters(sample_assessment: RenderInput) -> None:
    page = html.render(sample_assessment)
    fingerprints = re.findall(r'data-fingerprint="([^"]+)"', page)
    assert fingerprints == ["fp-secret-new", "fp-secret-inline", "fp-xss-unchanged", "fp-ppe-config"]
