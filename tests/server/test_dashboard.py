"""The dashboard's pages: the heat map, the loop, the journey, DORA charts, findings and triage."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from secloop.core.enums import Status
from secloop.server.middleware import CSP
from secloop.server.web.charts import delivery_of, trend_svg
from tests.server.conftest import NOW, Server, loop_results
from tests.store.conftest import assessment, practice


@pytest.fixture
def signed(server: Server) -> Server:
    server.seed("/r/alpha", "alpha", as_of=NOW - timedelta(days=7), commit="b" * 40, results=loop_results())
    server.seed("/r/alpha", "alpha", as_of=NOW, commit="a" * 40, results=loop_results())
    server.user("ann", admin=True)
    assert server.login("ann") == 303
    return server


def cells(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<td class="cell ([a-z-]+)" title="([a-z]+): [^"]*"><a [^>]*>([^<]+)<', html)


def test_every_page_has_the_security_headers_and_no_script(signed: Server) -> None:
    for path in ("/", "/repositories/1", "/findings", "/audit", "/login", "/static/style.css", "/nowhere"):
        response = signed.client.get(path)
        assert response.headers["content-security-policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "script-src" not in CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "<script" not in response.text and "http://" not in response.text.replace(
            "http://www.w3.org", ""
        )


def test_the_overview_is_a_heat_map_of_repositories_by_stage(signed: Server) -> None:
    signed.seed(
        "/r/beta",
        "beta",
        as_of=NOW,
        commit="c" * 40,
        results=(practice("deploy.gitops", Status.PASS), practice("deploy.signing", Status.FAIL)),
    )
    page = signed.client.get("/")
    assert page.status_code == 200
    rows = page.text.split('<th scope="row">')[1:]
    assert [re.search(r">([a-z]+)</a>", row).group(1) for row in rows] == ["alpha", "beta"]  # type: ignore[union-attr]
    assert cells(rows[0]) == [
        ("pass", "plan", "100"),
        ("fail", "code", "0"),
        ("partial", "build", "60"),
        *[("empty", stage, "–") for stage in ("test", "deploy", "release", "operate", "monitor", "pipeline")],
    ]
    assert cells(rows[1])[4] == ("fail", "deploy", "50")
    assert 'title="build: 1 partial, 1 unknown"' in rows[0]
    assert '<a href="/findings?repository=1&amp;status=open">1</a>' in rows[0]


def test_the_repository_page_shows_the_loop_and_the_journey(signed: Server) -> None:
    page = signed.client.get("/repositories/1").text
    assert "<h1>alpha</h1>" in page
    build = page.split('id="stage-build"')[1].split("</section>")[0]
    assert re.findall(
        r'<span class="pid">([^<]+)</span><br>([^<]+)</td>\s*<td><span class="badge (\w+)">', build
    ) == [
        ("build.sast", "Static analysis (SAST) runs on every change", "partial"),
        ("build.sca", "Dependencies are scanned for known vulnerabilities", "unknown"),
    ]
    journey = page.split('<table class="journey">')[1]
    assert re.findall(r"<th scope=\"col\">(\d\d-\d\d)<br><code>(\w+)</code>", journey) == [
        ("02-22", "bbbbbbb"),
        ("03-01", "aaaaaaa"),
    ]
    assert journey.count('<td class="cell fail" title="fail">fail</td>') == 2
    assert signed.client.get("/repositories/42").status_code == 404


def test_dora_trends_are_drawn_from_the_saved_documents(signed: Server) -> None:
    for day, value in ((1, 2.0), (8, 3.5), (15, 5.0)):
        moment = datetime(2025, 4, day, tzinfo=UTC)
        document = json.dumps(
            {
                "schema": "secloop.assessment/v1",
                "delivery": {
                    "metrics": [
                        {"id": "deployment-frequency", "value": value, "unit": "per week", "reason": None}
                    ],
                    "reason": None,
                },
                "practices": [],
            },
            indent=2,
        )
        signed.state.store.save(
            assessment((), as_of=moment, commit=f"{day:040d}", target="gamma"), document, "/r/g"
        )
    page = signed.client.get("/repositories/2").text
    figure = page.split('id="dora-deployment-frequency"')[1].split("</figure>")[0]
    assert re.findall(r"<title>([^<]+)</title></circle>", figure) == [
        "2025-04-01: 2 per week",
        "2025-04-08: 3.5 per week",
        "2025-04-15: 5 per week",
    ]
    assert '<polyline class="line"' in figure
    lead = page.split('id="dora-lead-time"')[1].split("</figure>")[0]
    assert "Not measured." in lead


def test_delivery_of_reads_only_the_delivery_block_and_falls_back_to_a_full_parse() -> None:
    block = {"metrics": [{"id": "lead-time", "value": 30, "unit": "hours"}], "reason": "r"}
    indented = json.dumps({"schema": "s", "delivery": block, "practices": [{"delivery": 1}]}, indent=2)
    compact = json.dumps({"schema": "s", "delivery": block})
    for text in (indented, compact):
        found = delivery_of(text)
        assert (found.metrics["lead-time"].value, found.metrics["lead-time"].unit, found.reason) == (
            30.0,
            "hours",
            "r",
        )
    assert delivery_of("{}").reason == "the assessment has no delivery metrics"
    assert delivery_of("not json").reason == "the stored document is not JSON"


def test_a_chart_with_nothing_measured_is_none_and_text_is_escaped() -> None:
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    assert trend_svg("t", "u", [(moment, None)]) is None
    svg = str(trend_svg("<b>", "&", [(moment, 1.0)]))
    assert "<b>" not in svg and "&lt;b&gt; (&amp;)" in svg


def test_findings_page_filters_and_triages_through_a_form(signed: Server) -> None:
    page = signed.client.get("/findings?severity=high")
    assert page.status_code == 200
    assert "1 finding in the latest assessments" in page.text
    assert re.findall(r'<span class="pid">([^<]+)</span>', page.text) == ["SECRET-AWS-ACCESS-KEY"]
    until = (date.today() + timedelta(days=20)).isoformat()
    response = signed.client.post(
        "/findings/triage",
        data={
            "csrf": signed.page_csrf("/findings"),
            "repository_id": "1",
            "fingerprint": "fp-secret-aws-access-key",
            "state": "accepted-risk",
            "reason": "rotated, history rewrite planned",
            "expires": until,
            "back": "/findings?severity=high",
        },
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/findings?severity=high")
    after = signed.client.get("/findings?status=accepted-risk").text
    assert '<span class="status accepted-risk">accepted-risk</span>' in after
    assert f"ann: rotated, history rewrite planned (until {until})" in after
    entry = signed.state.accounts.audit_entries(action="triage.set")[0]
    assert (entry.actor, entry.detail["state"]) == ("ann", "accepted-risk")
    audit = signed.client.get("/audit").text
    assert "<td>ann</td><td>triage.set</td>" in audit


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"state": "accepted-risk", "expires": ""}, 422, "accepting a risk needs an expiry date"),
        ({"state": "bogus"}, 400, "the triage form is incomplete"),
        ({"reason": "  "}, 400, "give a reason (at least three characters)"),
        ({"expires": "tomorrow", "state": "accepted-risk"}, 400, "the expiry is not a date (YYYY-MM-DD)"),
        ({"fingerprint": "fp-none"}, 404, "repository 1 has no current finding &#39;fp-none&#39;"),
    ],
)
def test_a_bad_triage_form_renders_an_error_page(
    signed: Server, form: dict[str, str], status: int, message: str
) -> None:
    data = {
        "csrf": signed.page_csrf(),
        "repository_id": "1",
        "fingerprint": "fp-dep-vuln",
        "state": "fixed",
        "reason": "fixed in main",
        **form,
    }
    response = signed.client.post("/findings/triage", data=data)
    assert response.status_code == status
    assert f'<p class="error">{message}</p>' in response.text


def test_the_pages_render_with_no_data(server: Server) -> None:
    server.user("ann")
    assert server.login("ann") == 303
    assert "No repository has been assessed yet." in server.client.get("/").text
    assert "No finding matches." in server.client.get("/findings").text
