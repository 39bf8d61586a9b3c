"""The dashboard: server-rendered pages, readable without JavaScript (none is served).

Signed-in users hold a session cookie (HMAC-signed id; the session itself lives in the database and
expires there). Every form carries a CSRF token: the session's own, or before logon a token bound to
a short-lived cookie. Pages answer 401 with the logon form when nobody is signed in.
"""

from __future__ import annotations

import hmac
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from secloop.core.enums import Stage, Status
from secloop.practices.catalog import load_catalog
from secloop.server.accounts import WebSession
from secloop.server.api.routes import check_triage
from secloop.server.cache import Version, VersionedCache, data_version
from secloop.server.crypto import random_id
from secloop.server.data import RepositorySummary, StageCell
from secloop.server.findings import (
    FINDING_STATUSES,
    SEVERITY_RANK,
    TRIAGE_STATES,
    FindingFilter,
    FindingView,
    NotFound,
)
from secloop.server.state import client_of, limit, state_of
from secloop.server.web.charts import DORA, TITLES, DeliveryCache, trend_svg

HERE = Path(__file__).parent
SESSION_COOKIE = "secloop_session"
LOGIN_COOKIE = "secloop_login"
PAGE_SIZE = 50
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATUS_ORDER = (Status.FAIL, Status.PARTIAL, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE)


class LoginRequired(Exception):
    pass


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = TEMPLATES.get_template(name).render(request=request, stages=list(Stage), **context)
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow a logon (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return "/"
    return target


def signed_in(request: Request, reader: Session | None = None) -> WebSession | None:
    state = state_of(request)
    raw = request.cookies.get(SESSION_COOKIE)
    secret = state.signer.unsign("session", raw) if raw else None
    return None if secret is None else state.accounts.web_session(secret, reader=reader)


def session_of(request: Request, reader: Session | None = None) -> WebSession:
    found = signed_in(request, reader)
    if found is None:
        raise LoginRequired
    return found


def signed_at(request: Request) -> tuple[WebSession, Version]:
    """Who is signed in, and the data's version: what every page reads first, over one connection."""
    with Session(state_of(request).engine) as reader:
        return session_of(request, reader), data_version(reader)


def login_page(
    request: Request, status: int, message: str | None = None, target: str | None = None
) -> Response:
    state = state_of(request)
    nonce = random_id()
    response = render(
        request,
        "login.html",
        status,
        csrf=state.signer.mac("login-csrf", nonce),
        message=message,
        next=safe_next(target if target is not None else request.url.path),
        user=None,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=900,
        path="/login",
        secure=_https(request),
        httponly=True,
        samesite="strict",
    )
    return response


def html_error(request: Request, exc: StarletteHTTPException) -> Response:
    return render(
        request,
        "error.html",
        exc.status_code,
        code=exc.status_code,
        message=exc.detail,
        user=signed_in(request),
    )


def _check_csrf(expected: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page and try again")


def _cell_class(statuses: dict[Status, int]) -> str:
    for status in STATUS_ORDER:
        if statuses.get(status):
            return status.value
    return "empty"


def _pages(request: Request) -> VersionedCache:
    cache: VersionedCache = request.app.state.page_cache
    return cache


def overview(request: Request) -> Response:
    who, version = signed_at(request)
    data = state_of(request).data

    def table() -> Markup | None:
        repositories = data.repositories(version=version)
        if not repositories:
            return None
        heat = data.heatmap(version=version)
        rows = [{"repo": r, "cells": heat_cells(r.id, heat.get(r.id, {}))} for r in repositories]
        html = TEMPLATES.get_template("_heatmap.html").render(rows=rows, stages=list(Stage))
        return Markup(html)  # noqa: S704  # nosec B704: rendered by the autoescaping environment

    # Only a new assessment changes the table: it is built once per version, not per request.
    heatmap = _pages(request).get(("overview", version[0]), table)
    return render(request, "overview.html", user=who, csrf=who.csrf_token, heatmap=heatmap)


def heat_cells(repository_id: int, cells: dict[Stage, StageCell]) -> Markup:
    """One row of the heat map, built here: nine cells a row, a hundred rows, are slow in a template."""
    parts = []
    for stage in Stage:
        cell = cells.get(stage)
        if cell is None:
            css, text, title = "empty", "–", "no practice"
        else:
            css = _cell_class(cell.statuses)
            text = "–" if cell.score is None else str(cell.score)
            title = ", ".join(f"{n} {s.value}" for s in STATUS_ORDER if (n := cell.statuses.get(s)))
        parts.append(
            f'<td class="cell {css}" title="{stage.value}: {escape(title)}">'
            f'<a href="/repositories/{repository_id}#stage-{stage.value}">{escape(text)}'
            f'<span class="sr"> ({escape(title)})</span></a></td>'
        )
    return Markup("\n".join(parts))  # noqa: S704  # nosec B704: the only texts are escaped above


def _decisions(chosen: str | None) -> str:
    return "".join(
        f"<option{' selected' if s == chosen else ''}>{escape(s)}</option>" for s in (*TRIAGE_STATES, "open")
    )


DECISIONS = {chosen: _decisions(chosen) for chosen in (*TRIAGE_STATES, None)}


def finding_rows(items: list[FindingView], csrf: str, here: str, today: str) -> Markup:
    """The findings table's rows, built here like the heat map's cells: fifty rows, each with its
    triage form, cost several times more through the template than the rest of the page."""
    token = f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
    back = f'<input type="hidden" name="back" value="{escape(here)}">'
    expires = f'<input name="expires" type="date" min="{escape(today)}">'
    rows = []
    for f in items:
        where = "–"
        if f.path:
            where = f"<code>{escape(f.path)}{f':{f.line}' if f.line else ''}</code>"
        note = ""
        if f.triage:
            until = f" (until {f.triage.expires.isoformat()})" if f.triage.expires else ""
            note = f"<br><small>{escape(f.triage.actor)}: {escape(f.triage.reason)}{until}</small>"
        chosen = f.triage.state if f.triage else None
        decisions = DECISIONS.get(chosen) or _decisions(chosen)
        rows.append(
            f'<tr id="finding-{f.id}">\n'
            f'<td><span class="sev {escape(f.severity)}">{escape(f.severity)}</span></td>\n'
            f'<td><span class="pid">{escape(f.rule_id)}</span><br>'
            f"<small>{escape(f.practice_id)}</small></td>\n"
            f'<td><a href="/repositories/{f.repository_id}">{escape(f.repository)}</a></td>\n'
            f"<td>{where}</td>\n"
            f'<td><span class="status {escape(f.status)}">{escape(f.status)}</span>{note}</td>\n'
            "<td>\n<details>\n<summary>Triage</summary>\n"
            '<form class="triage" method="post" action="/findings/triage">\n'
            f"{token}\n"
            f'<input type="hidden" name="repository_id" value="{f.repository_id}">\n'
            f'<input type="hidden" name="fingerprint" value="{escape(f.fingerprint)}">\n'
            f"{back}\n"
            f'<label>Decision <select name="state">{decisions}</select></label>\n'
            '<label>Reason <input name="reason" required minlength="3" maxlength="2000"></label>\n'
            f"<label>Expires (accepted risk) {expires}</label>\n"
            '<button type="submit">Save</button>\n</form>\n</details>\n</td>\n</tr>\n'
        )
    return Markup("".join(rows))  # noqa: S704  # nosec B704: every interpolated text above is escaped


def repository_page(request: Request, repository_id: int) -> Response:
    who, version = signed_at(request)
    state = state_of(request)
    repo = state.data.repository(repository_id, version=version)
    if repo is None:
        raise HTTPException(404, f"no repository {repository_id}")
    # The content comes from the saved assessments only, so it holds until the next one lands.
    key = ("repository", version[0], repository_id)
    main = _pages(request).get(key, lambda: _repository_main(request, repo))
    return render(request, "repository.html", user=who, csrf=who.csrf_token, repo=repo, main=main)


def _repository_main(request: Request, repo: RepositorySummary) -> Markup:
    state = state_of(request)
    titles = {p.id: p.title for p in load_catalog()}
    stages: dict[Stage, list[Any]] = {}
    if repo.latest is not None:
        for practice in state.data.practices(repo.latest.id):
            stages.setdefault(practice.stage, []).append(practice)
    history = state.store.history(repo.root, limit=12)
    cache: DeliveryCache = request.app.state.delivery_cache
    deliveries = [(entry.as_of, cache.get(entry.id, state.store.document)) for entry in history.entries]
    charts = []
    for metric_id in DORA:
        points = [
            (when, d.metrics[metric_id].value if metric_id in d.metrics else None) for when, d in deliveries
        ]
        units = [d.metrics[metric_id].unit for _, d in deliveries if metric_id in d.metrics]
        svg = trend_svg(TITLES[metric_id], units[-1] if units else "", points)
        reasons = [d.metrics[metric_id].reason or d.reason for _, d in deliveries if metric_id in d.metrics]
        reason = reasons[-1] if reasons else (deliveries[-1][1].reason if deliveries else None)
        charts.append({"id": metric_id, "title": TITLES[metric_id], "svg": svg, "reason": reason})
    html = TEMPLATES.get_template("_repository.html").render(
        repo=repo, stages=list(Stage), stage_rows=stages, titles=titles, history=history, charts=charts
    )
    return Markup(html)  # noqa: S704  # nosec B704: rendered by the autoescaping environment


def findings_page(
    request: Request,
    rule: str | None = None,
    severity: str | None = None,
    repository: str | None = None,
    status: str | None = None,
    page: str | None = None,
) -> Response:
    state = state_of(request)
    repo_id = int(repository) if repository and repository.isdigit() and len(repository) < 10 else None
    page_no = int(page) if page and page.isdigit() and len(page) < 6 else 1
    wanted = FindingFilter(
        rule=rule[:128] if rule else None,
        severity=severity if severity in SEVERITY_RANK else None,
        repository=repo_id,
        status=status if status in FINDING_STATUSES else None,
        limit=PAGE_SIZE,
        offset=(max(page_no, 1) - 1) * PAGE_SIZE,
    )
    today = date.today()
    with Session(state.engine) as reader:
        who = session_of(request, reader)
        version, total, items = state.findings.page(wanted, today, reader=reader)
    query = {
        k: v
        for k, v in {
            "rule": wanted.rule,
            "severity": wanted.severity,
            "repository": wanted.repository,
            "status": wanted.status,
        }.items()
        if v
    }
    here = "/findings" + (f"?{urlencode(query)}" if query else "")
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "findings.html",
        user=who,
        csrf=who.csrf_token,
        items=items,
        rows=finding_rows(items, who.csrf_token, here, today.isoformat()),
        total=total,
        wanted=wanted,
        page=page_no,
        pages=pages,
        query=query,
        here=here,
        repositories=state.data.repositories(version=version),
        rules=state.findings.rules(version=version),
        severities=list(SEVERITY_RANK),
        statuses=FINDING_STATUSES,
        urlencode=urlencode,
    )


def mount(app: FastAPI) -> None:
    """Add the dashboard's routes, static files and error handling to `app`."""
    app.state.delivery_cache = DeliveryCache()
    app.state.page_cache = VersionedCache(size=256)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def need_login(request: Request, exc: Exception) -> Response:
        return login_page(request, 401)

    app.add_exception_handler(LoginRequired, need_login)
    app.add_api_route("/", overview, methods=["GET"], include_in_schema=False, response_class=HTMLResponse)
    app.add_api_route(
        "/repositories/{repository_id}", repository_page, methods=["GET"], include_in_schema=False
    )
    app.add_api_route("/findings", findings_page, methods=["GET"], include_in_schema=False)

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str | None = None) -> Response:
        if signed_in(request) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return login_page(request, 200, target=next or "/")

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: str = Form("", max_length=256),
        password: str = Form("", max_length=4096),
        csrf: str = Form("", max_length=256),
        next: str = Form("/", max_length=2048),
    ) -> Response:
        state = state_of(request)
        client = client_of(request)
        nonce = request.cookies.get(LOGIN_COOKIE) or ""
        _check_csrf(state.signer.mac("login-csrf", nonce), csrf if nonce else None)
        try:
            limit(request, state.login_limit, "login", client)
        except HTTPException:
            state.accounts.audit(
                username[:64] or "-", "logon", "failure", username[:64], {"reason": "rate-limited"}, client
            )
            state.metrics.logons.labels("failure").inc()
            state.metrics.failed_logons.labels("rate-limited").inc()
            raise
        result = state.accounts.logon(username, password, client, state.settings.session_hours)
        if result.session_secret is None:
            state.metrics.logons.labels("failure").inc()
            state.metrics.failed_logons.labels(result.outcome).inc()
            return login_page(
                request,
                401,
                "Logon failed: wrong user name or password, or the account is locked for a while.",
                next,
            )
        state.metrics.logons.labels("success").inc()
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            state.signer.sign("session", result.session_secret),
            max_age=int(state.settings.session_hours * 3600),
            path="/",
            secure=_https(request),
            httponly=True,
            samesite="lax",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("", max_length=256)) -> Response:
        who = session_of(request)
        state = state_of(request)
        _check_csrf(who.csrf_token, csrf)
        raw = request.cookies.get(SESSION_COOKIE, "")
        secret = state.signer.unsign("session", raw)
        if secret is not None:
            state.accounts.logout(secret, who.user, client_of(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.post("/findings/triage", include_in_schema=False)
    def triage(
        request: Request,
        csrf: str = Form("", max_length=256),
        repository_id: str = Form("", max_length=12),
        fingerprint: str = Form("", max_length=128),
        state_name: str = Form("", alias="state", max_length=32),
        reason: str = Form("", max_length=2000),
        expires: str = Form("", max_length=10),
        back: str = Form("/findings", max_length=2048),
    ) -> Response:
        who = session_of(request)
        state = state_of(request)
        _check_csrf(who.csrf_token, csrf)
        if not repository_id.isdigit() or not fingerprint or state_name not in (*TRIAGE_STATES, "open"):
            raise HTTPException(400, "the triage form is incomplete")
        if len(reason.strip()) < 3:
            raise HTTPException(400, "give a reason (at least three characters)")
        try:
            until = date.fromisoformat(expires) if expires else None
        except ValueError:
            raise HTTPException(400, "the expiry is not a date (YYYY-MM-DD)") from None
        check_triage(state_name, until, date.today())
        try:
            state.findings.set_triage(
                int(repository_id),
                fingerprint,
                state_name,
                reason.strip(),
                until,
                actor=who.user.username,
                client=client_of(request),
            )
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        return RedirectResponse(safe_next(back), status_code=303)

    @app.get("/audit", include_in_schema=False)
    def audit(request: Request, page: int = 1) -> Response:
        who = session_of(request)
        if not who.user.is_admin:
            raise HTTPException(403, "the audit trail is for administrators")
        page = min(max(page, 1), 10_000)
        entries = state_of(request).accounts.audit_entries(100, (page - 1) * 100)
        return render(request, "audit.html", user=who, csrf=who.csrf_token, entries=entries, page=page)
