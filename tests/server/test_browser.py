"""The dashboard in a real browser: Debian's Chromium driven by Playwright, the server on loopback.

Logs in, reads the overview's heat map, sees the DORA charts drawn (a repository's trend and the
organisation's weekly deployments), triages a finding and disables a user through the forms, and
leaves screenshots in the test's tmp directory. Skipped only where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from secloop.core.enums import Status
from secloop.server import create_app
from secloop.server.state import ServerState
from tests.server.conftest import PASSWORD_CHARS, build_settings, loop_results, make_secret
from tests.store.conftest import assessment, practice

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="the system Chromium (/usr/bin/chromium) is not installed"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(state: ServerState) -> str:
    for week, value in enumerate((1.0, 2.5, 4.0)):
        moment = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=7 * week)
        document = json.dumps(
            {
                "schema": "secloop.assessment/v1",
                "delivery": {
                    "metrics": [
                        {"id": "deployment-frequency", "value": value, "unit": "per week", "reason": None}
                    ],
                    "reason": None,
                },
            },
            indent=2,
        )
        results = (*loop_results(), practice("deploy.gitops", Status.PASS))
        state.store.save(
            assessment(results, as_of=moment, commit=f"{week:040d}", target="alpha"), document, "/r/alpha"
        )
    password = PASSWORD_CHARS + make_secret(6)
    state.accounts.create_user("ann", password, is_admin=True, actor="test")
    return password


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, ServerState, str]]:
    app = create_app(build_settings(f"sqlite:///{tmp_path / 'live.db'}"))
    state: ServerState = app.state.secloop
    password = seed(state)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", state, password
    server.should_exit = True
    thread.join(timeout=10)
    state.engine.dispose()


def test_log_in_read_the_overview_and_triage_a_finding(
    live: tuple[str, ServerState, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    base, state, password = live
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console", lambda message: problems.append(message.text) if message.type == "error" else None
            )
            page.on("pageerror", lambda error: problems.append(str(error)))

            first = page.goto(f"{base}/")
            assert first is not None and first.status == 401
            page.fill("#username", "ann")
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            assert page.locator("h1").inner_text() == "The organisation's loop"
            row = page.locator("table.heatmap tbody tr").first
            assert row.locator("th").inner_text() == "alpha"
            assert row.locator("td.cell").nth(1).inner_text().startswith("0")
            assert row.locator("td.cell").nth(1).get_attribute("class") == "cell fail"
            page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

            page.click("text=alpha")
            chart = page.locator("#dora-deployment-frequency svg.chart")
            chart.wait_for()
            assert chart.locator("circle.dot").count() == 3
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            page.screenshot(path=str(tmp_path / "repository.png"), full_page=True)

            page.goto(f"{base}/findings?severity=high")
            finding = page.locator("table.findings tbody tr").first
            assert finding.locator(".status").inner_text() == "open"
            finding.locator("summary").click()
            finding.locator("select[name=state]").select_option("accepted-risk")
            finding.locator("input[name=reason]").fill("test key, revoked at the provider")
            until = (date.today() + timedelta(days=14)).isoformat()
            finding.locator("input[name=expires]").fill(until)
            finding.locator("button[type=submit]").click()
            page.wait_for_url(f"{base}/findings?severity=high")
            updated = page.locator("table.findings tbody tr").first
            assert updated.locator(".status").inner_text() == "accepted-risk"
            assert f"(until {until})" in updated.inner_text()
            page.screenshot(path=str(tmp_path / "findings.png"), full_page=True)
        finally:
            browser.close()
    # The first page answered 401 on purpose (the logon form); nothing else may fail or be blocked by the CSP.
    assert problems == ["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]
    entry = state.accounts.audit_entries(action="triage.set")[0]
    assert (entry.actor, entry.detail["state"], entry.client) == ("ann", "accepted-risk", "127.0.0.1")
    assert [e.outcome for e in state.accounts.audit_entries(action="logon")] == ["success"]


def test_the_dora_page_draws_its_chart_and_an_admin_disables_a_user(
    live: tuple[str, ServerState, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    base, state, password = live
    for day in (3, 10, 17):
        event = {"type": "deployment", "environment": "production", "sha": f"{day:040d}"}
        event["time"] = f"2025-03-{day:02d}T10:00:00Z"
        moment = datetime(2025, 3, day, 10, tzinfo=UTC)
        state.data.add_events([("acme/shop", "deployment", moment, event, None)], "api")
    state.accounts.create_user("bob", PASSWORD_CHARS + make_secret(6), is_admin=False, actor="test")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console", lambda message: problems.append(message.text) if message.type == "error" else None
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{base}/login?next=/dora")
            page.fill("#username", "ann")
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/dora")
            chart = page.locator("#dora-weekly svg.chart")
            chart.wait_for()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            rows = page.locator("table.dora tbody th").all_inner_texts()
            assert rows == ["(organisation)", "acme/shop"]
            page.screenshot(path=str(tmp_path / "dora.png"), full_page=True)

            page.click("text=Users and tokens")
            page.wait_for_url(f"{base}/admin")
            bob = page.locator("table.users tbody tr", has_text="bob")
            bob.locator("button[type=submit]").click()
            page.wait_for_url(f"{base}/admin")
            assert "disabled" in page.locator("table.users tbody tr", has_text="bob").inner_text()
            page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    (entry,) = state.accounts.audit_entries(action="user.disable")
    assert (entry.actor, entry.target, entry.client) == ("ann", "bob", "127.0.0.1")
