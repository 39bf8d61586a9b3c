"""Dashboard pages: the organisation's DORA metrics, and user and token management (administrators).

No JavaScript: each action is a small form posting the session's CSRF token, answered by a redirect
back to the page (or an error page). Every change is in the audit trail.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from secloop.core.errors import UsageError
from secloop.delivery.metrics import Options
from secloop.server.accounts import USERNAME, WebSession, check_password
from secloop.server.dora import organisation_dora
from secloop.server.state import client_of, state_of
from secloop.server.web.charts import trend_svg
from secloop.server.web.views import _check_csrf, render, session_of

WINDOWS = (30, 90, 180, 365)


def _admin(request: Request) -> WebSession:
    who = session_of(request)
    if not who.user.is_admin:
        raise HTTPException(403, "user and token management is for administrators")
    return who


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    shown = (
        f"{value:.0f}" if unit in ("%", "percent") or value >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")
    )
    return f"{shown} {unit}".strip()


async def dora_page(request: Request, window: str | None = None) -> Response:
    who = session_of(request)
    days = int(window) if window and window.isdigit() and int(window) in WINDOWS else 90
    pooled, rows = await run_in_threadpool(
        organisation_dora, state_of(request).engine, Options(window_days=days)
    )
    titles = [(m.id, m.title) for m in pooled.report.metrics]
    span = pooled.report.window
    chart = None
    if span is not None:
        weeks = [(span.start + timedelta(days=7 * i), float(n)) for i, n in enumerate(pooled.report.weekly)]
        chart = trend_svg("Production deployments per week", "per week", list(weeks))
    return render(
        request,
        "dora.html",
        user=who,
        csrf=who.csrf_token,
        pooled=pooled,
        rows=rows,
        titles=titles,
        days=days,
        windows=WINDOWS,
        shown=_value,
        chart=chart,
    )


def admin_page(request: Request) -> Response:
    who = _admin(request)
    accounts = state_of(request).accounts
    return render(
        request,
        "admin.html",
        user=who,
        csrf=who.csrf_token,
        users=accounts.users(),
        tokens=accounts.tokens(),
    )


def mount(app: FastAPI) -> None:
    app.add_api_route("/dora", dora_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/admin", admin_page, methods=["GET"], include_in_schema=False)

    @app.post("/admin/users", include_in_schema=False)
    def create_user(
        request: Request,
        csrf: str = Form("", max_length=256),
        username: str = Form("", max_length=64),
        password: str = Form("", max_length=1024),
        is_admin: str = Form("", max_length=8),
    ) -> Response:
        who = _admin(request)
        _check_csrf(who.csrf_token, csrf)
        if not USERNAME.match(username):
            raise HTTPException(400, "the user name must be 1 to 64 letters, digits, '.', '_', '@' or '-'")
        try:
            check_password(password)
            state_of(request).accounts.create_user(
                username, password, is_admin=is_admin == "on", actor=who.user.username
            )
        except UsageError as exc:
            raise HTTPException(400, exc.message) from None
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/users/{user_id}/disable", include_in_schema=False)
    def disable_user(request: Request, user_id: int, csrf: str = Form("", max_length=256)) -> Response:
        who = _admin(request)
        _check_csrf(who.csrf_token, csrf)
        if user_id == who.user.id:
            raise HTTPException(400, "you cannot disable yourself; ask another administrator")
        if not 1 <= user_id < 2**31:
            raise HTTPException(404, f"no user {user_id}")
        state = state_of(request)
        if state.accounts.disable_user(user_id, actor=who.user.username, client=client_of(request)) is None:
            raise HTTPException(404, f"no user {user_id}")
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/tokens/{prefix}/revoke", include_in_schema=False)
    def revoke_token(request: Request, prefix: str, csrf: str = Form("", max_length=256)) -> Response:
        who = _admin(request)
        _check_csrf(who.csrf_token, csrf)
        state = state_of(request)
        if len(prefix) != 12 or not state.accounts.revoke_token(
            prefix, actor=who.user.username, client=client_of(request)
        ):
            raise HTTPException(404, f"no active token with prefix {prefix[:12]!r}")
        return RedirectResponse("/admin", status_code=303)
