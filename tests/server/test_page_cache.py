"""Pages built once per version of the data: every change shows at the next request, in every process."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from secloop.core.enums import Severity, Status
from secloop.server import create_app
from secloop.server.cache import VersionedCache
from secloop.server.findings import FindingView, Triage
from secloop.server.web.views import finding_rows
from tests.server.conftest import NOW, Server, build_settings, loop_results
from tests.store.conftest import finding, practice


@pytest.fixture
def signed(any_server: Server) -> Server:
    any_server.seed("/r/alpha", "alpha", as_of=NOW, commit="a" * 40, results=loop_results())
    any_server.user("ann", admin=True)
    assert any_server.login("ann") == 303
    return any_server


def heat(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<td class="cell ([a-z-]+)" title="([a-z]+): [^"]*"><a [^>]*>([^<]+)<', html)


def statuses(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="pid">([^<]+)</span>.*?<span class="status ([a-z-]+)">', html, re.S)


def triage(server: Server, client: TestClient, fingerprint: str, state: str) -> None:
    page = client.get("/findings").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    form = {
        "csrf": found.group(1),
        "repository_id": "1",
        "fingerprint": fingerprint,
        "state": state,
        "reason": "checked by hand",
        "back": "/findings",
    }
    assert client.post("/findings/triage", data=form, follow_redirects=False).status_code == 303


def test_a_new_assessment_shows_on_every_page_at_the_next_request(signed: Server) -> None:
    client = signed.client
    before = [client.get(path).text for path in ("/", "/repositories/1", "/findings")]
    assert heat(before[0])[1] == ("fail", "code", "0")
    assert before[1].count('<th scope="col">03-01<br><code>aaaaaaa</code></th>') == 1
    assert statuses(before[2]) == [("SECRET-AWS-ACCESS-KEY", "open"), ("DEP-VULN", "suppressed")]
    later = NOW + timedelta(days=1)
    signed.seed(
        "/r/alpha",
        "alpha",
        as_of=later,
        commit="b" * 40,
        results=(
            practice("code.secrets", Status.PASS),
            practice(
                "build.sast", Status.FAIL, findings=(finding("SAST-EVAL", "app/x.py", 4, Severity.MEDIUM),)
            ),
        ),
    )
    overview = client.get("/").text
    assert heat(overview)[:3] == [("empty", "plan", "–"), ("pass", "code", "100"), ("fail", "build", "0")]
    repository = client.get("/repositories/1").text
    assert re.findall(r'<th scope="col">(\d\d-\d\d)<br><code>(\w+)</code>', repository) == [
        ("03-01", "aaaaaaa"),
        ("03-02", "bbbbbbb"),
    ]
    assert statuses(client.get("/findings").text) == [("SAST-EVAL", "open")]
    assert "<option selected>SAST-EVAL</option>" in client.get("/findings?rule=SAST-EVAL").text


def test_a_triage_shows_at_once_also_in_another_server_process(signed: Server) -> None:
    # A second app on the same database stands for a second server process with its own caches.
    other_app = create_app(build_settings(signed.settings.db, secret_key=signed.settings.secret_key))
    with TestClient(other_app, base_url="http://testserver", cookies=signed.client.cookies) as other:
        for client in (signed.client, other):
            assert statuses(client.get("/findings").text)[0] == ("SECRET-AWS-ACCESS-KEY", "open")
            assert "1 finding in the latest assessments" in client.get("/findings?status=open").text
        triage(signed, signed.client, "fp-secret-aws-access-key", "false-positive")
        for client in (signed.client, other):
            page = client.get("/findings").text
            assert statuses(page)[0] == ("SECRET-AWS-ACCESS-KEY", "false-positive")
            assert "ann: checked by hand" in page
            assert "0 findings in the latest assessments" in client.get("/findings?status=open").text
            assert "2 findings in the latest assessments" in client.get("/findings").text
        triage(signed, other, "fp-secret-aws-access-key", "open")
        for client in (signed.client, other):
            assert statuses(client.get("/findings").text)[0] == ("SECRET-AWS-ACCESS-KEY", "open")
            assert "1 finding in the latest assessments" in client.get("/findings?status=open").text


def test_concurrent_misses_of_one_key_compute_it_once() -> None:
    cache = VersionedCache(size=4)
    inside, release = threading.Event(), threading.Event()
    calls: list[str] = []
    got: dict[str, str] = {}

    def slow() -> str:
        calls.append("first")
        inside.set()
        assert release.wait(10)
        return "value"

    def never() -> str:
        calls.append("second")
        return "other"

    first = threading.Thread(target=lambda: got.update(first=cache.get("k", slow)))
    first.start()
    assert inside.wait(10)
    # Whether the second caller waits on the key or arrives after it is stored, it must not compute.
    second = threading.Thread(target=lambda: got.update(second=cache.get("k", never)))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert (calls, got) == (["first"], {"first": "value", "second": "value"})


def test_a_failed_computation_is_not_cached_and_frees_its_key() -> None:
    cache = VersionedCache(size=2)

    def broken() -> int:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        cache.get("k", broken)
    assert cache.get("k", lambda: 7) == 7
    assert cache.get("k", lambda: 8) == 7
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    assert cache.get("k", lambda: 9) == 9  # the oldest of three went when the third came (size 2)


@pytest.fixture
def rows() -> list[FindingView]:
    decided = Triage("accepted-risk", "<b>until</b> the fix", date(2025, 4, 1), "ann & bob", NOW)
    return [
        FindingView(7, 1, "a<b", 3, "code.secrets", "RULE-<1>", "fp-\"x\"", "high", "src/a&b.py", 12, True,
                    False, "accepted-risk", decided),
        FindingView(8, 2, "beta", 4, "build.sast", "RULE-2", "fp-y", "low", None, None, False, False,
                    "baseline", None),
    ]  # fmt: skip


def test_finding_rows_escape_every_text_and_select_the_current_decision(rows: list[FindingView]) -> None:
    html = str(finding_rows(rows, "tok&en", "/findings?rule=a&page=2", "2025-03-01"))
    first, second = html.split("</tr>\n")[:2]
    assert first == (
        '<tr id="finding-7">\n'
        '<td><span class="sev high">high</span></td>\n'
        '<td><span class="pid">RULE-&lt;1&gt;</span><br><small>code.secrets</small></td>\n'
        '<td><a href="/repositories/1">a&lt;b</a></td>\n'
        "<td><code>src/a&amp;b.py:12</code></td>\n"
        '<td><span class="status accepted-risk">accepted-risk</span><br><small>ann &amp; bob: '
        "&lt;b&gt;until&lt;/b&gt; the fix (until 2025-04-01)</small></td>\n"
        "<td>\n<details>\n<summary>Triage</summary>\n"
        '<form class="triage" method="post" action="/findings/triage">\n'
        '<input type="hidden" name="csrf" value="tok&amp;en">\n'
        '<input type="hidden" name="repository_id" value="1">\n'
        '<input type="hidden" name="fingerprint" value="fp-&#34;x&#34;">\n'
        '<input type="hidden" name="back" value="/findings?rule=a&amp;page=2">\n'
        '<label>Decision <select name="state"><option selected>accepted-risk</option>'
        "<option>false-positive</option><option>fixed</option><option>open</option></select></label>\n"
        '<label>Reason <input name="reason" required minlength="3" maxlength="2000"></label>\n'
        '<label>Expires (accepted risk) <input name="expires" type="date" min="2025-03-01"></label>\n'
        '<button type="submit">Save</button>\n</form>\n</details>\n</td>\n'
    )
    assert "<td>–</td>" in second and '<span class="status baseline">baseline</span></td>' in second
    assert "<option selected>" not in second
    assert html.endswith("</tr>\n") and html.count("<tr ") == 2


def test_the_findings_page_walks_pages_the_same_on_both_databases(signed: Server) -> None:
    many = tuple(finding(f"R-{n:03d}", f"f{n}.py", n, Severity.LOW) for n in range(1, 121))
    signed.seed(
        "/r/beta",
        "beta",
        as_of=datetime(2025, 3, 2, tzinfo=UTC),
        commit="c" * 40,
        results=(practice("code.sast", Status.FAIL, findings=many),),
    )
    first = signed.client.get("/findings?severity=low").text
    assert "121 findings in the latest assessments, page 1 of 3." in first
    third = signed.client.get("/findings?severity=low&page=3").text
    # Newest first within a severity: beta's findings were saved after alpha's suppressed one.
    assert [p for p, _ in statuses(third)] == [*(f"R-{n:03d}" for n in range(20, 0, -1)), "DEP-VULN"]
