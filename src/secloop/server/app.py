"""The app factory: `create_app(settings)` builds one self-contained server (database, metrics, limits).

Errors never carry a stack trace to the client: HTTP errors answer {"detail": ...}, validation errors
list the offending fields without echoing their values, anything unexpected is a plain 500 (and logged).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from secloop import __version__
from secloop.server.accounts import Accounts
from secloop.server.crypto import Signer
from secloop.server.data import Data
from secloop.server.findings import Findings
from secloop.server.metrics import Metrics, MetricsMiddleware, ScanDurations
from secloop.server.middleware import BodyLimit, SecurityHeaders
from secloop.server.queue import QueueDepth
from secloop.server.ratelimit import limiter, redis_client
from secloop.server.scans import Scans
from secloop.server.settings import Settings
from secloop.server.state import ServerState
from secloop.store import Store
from secloop.store.engine import build_engine, migrate, parse_url

LOG = logging.getLogger("secloop.server")
OPENAPI = "/api/v1/openapi.json"


def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # starlette's: FastAPI's subclasses it
    from secloop.server.web.views import html_error

    if request.url.path.startswith(("/api/", "/webhooks/", "/metrics")) or exc.status_code == 429:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return html_error(request, exc)


def _unexpected(request: Request, exc: Exception) -> Response:
    LOG.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def open_state(settings: Settings) -> ServerState:
    """Connect and migrate (one starter at a time: migrate() takes the database's lock)."""
    engine = build_engine(parse_url(settings.db))
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    signer = Signer(settings.secret_key)
    accounts = Accounts(
        engine,
        signer,
        lockout_failures=settings.lockout_failures,
        lockout_minutes=settings.lockout_minutes,
        idle_minutes=settings.session_idle_minutes,
    )
    shared = None if settings.redis_url is None else redis_client(settings.redis_url)
    scans = Scans(engine, settings.broker_url, settings.queue, allow_file_urls=settings.allow_file_urls)
    metrics = Metrics()
    metrics.registry.register(ScanDurations(scans.jobs.durations))
    return ServerState(
        settings=settings,
        engine=engine,
        store=Store(engine),
        signer=signer,
        accounts=accounts,
        data=Data(engine, accounts),
        findings=Findings(engine, accounts),
        metrics=metrics,
        login_limit=limiter(shared, "login", settings.login_rate_per_minute),
        api_limit=limiter(shared, "api", settings.api_rate_per_minute),
        scans=scans,
        queue_depth=QueueDepth(settings.broker_url, settings.queue),
        redis=shared,
    )


def create_app(settings: Settings) -> FastAPI:
    from secloop.server.api.manage import router as manage_router
    from secloop.server.api.routes import router as api_router
    from secloop.server.flags import install as install_flags
    from secloop.server.gitlab import router as gitlab_router
    from secloop.server.ops import router as ops_router
    from secloop.server.pagerduty import router as pagerduty_router
    from secloop.server.web.admin import mount as mount_admin
    from secloop.server.web.views import mount as mount_web
    from secloop.server.webhooks import router as webhook_router

    state = open_state(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        lifespan=lifespan,
        title="secloop server",
        version=__version__,
        summary="The organisation's loop: repositories, assessments, findings, triage, delivery events.",
        openapi_url=OPENAPI,
        docs_url=None,  # the interactive docs load scripts from a CDN; the schema alone is published
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.secloop = state
    handlers: dict[Any, Any] = {
        RequestValidationError: _validation,
        HTTPException: _http,
        Exception: _unexpected,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
    app.include_router(api_router)
    app.include_router(manage_router)
    install_flags(app, settings.flags_file)
    app.include_router(webhook_router)
    app.include_router(gitlab_router)
    app.include_router(pagerduty_router)
    app.include_router(ops_router)
    mount_web(app)
    mount_admin(app)
    # Added innermost first: the metrics see every answer, including 413s and security headers.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)

    return app
