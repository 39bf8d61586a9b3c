"""The flag service: the flags file and its run-time toggles over /api/v1/flags, with ETags and SSE.

Clients evaluate locally (the document carries the flags file's text and the toggles), poll with
If-None-Match, or hold `/api/v1/flags/stream` open: every toggle is pushed to each subscriber at once,
which is how a kill switch reaches every client within a second. A toggle is stored (table
flag_toggles) in the transaction that writes its audit row, so it survives a restart. With several
server processes each one re-reads the stored toggles every SYNC_SECONDS while it has subscribers
(and on every GET), and pushes what another process changed: the database is the one shared truth.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from secloop.release.flags.loader import load_flags, parse_flags
from secloop.release.flags.model import Flag, FlagsFile
from secloop.server.accounts import Accounts, Principal, now
from secloop.server.api.auth import READ, WRITE
from secloop.server.state import client_of, state_of
from secloop.store.engine import WRITE as WRITE_LOCK
from secloop.store.models import FlagToggleRow

router = APIRouter(prefix="/api/v1/flags", tags=["flags"])
HEARTBEAT_SECONDS = 15.0
SYNC_SECONDS = 0.5  # how often a process with subscribers looks for toggles taken by another process
FlagName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]


class ToggleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    environment: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "default"
    enabled: bool


class FlagService:
    """One flags file, the toggles set over the API, a revision, and the subscribers to push to."""

    def __init__(self, flags: FlagsFile, text: str, db: Engine | None = None) -> None:
        self.flags = flags
        self.text = text
        self.db = db
        self.toggles: dict[str, dict[str, bool]] = self._stored() if db is not None else {}
        self.revision = 1
        self._lock = threading.Lock()
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = set()
        self._sync: asyncio.Task[None] | None = None
        self._document = self._build()

    def _stored(self) -> dict[str, dict[str, bool]]:
        toggles: dict[str, dict[str, bool]] = {}
        assert self.db is not None
        with Session(self.db) as session:
            for row in session.scalars(select(FlagToggleRow).order_by(FlagToggleRow.id)):
                flag = self.flags.by_name.get(row.flag)
                # a toggle of a flag or environment no longer in the file is kept but not applied
                if flag is not None and flag.environment(row.environment) is not None:
                    toggles.setdefault(row.environment, {})[row.flag] = row.enabled
        return toggles

    def refresh(self) -> bool:
        """Take the toggles another process stored; push them when they changed. True if they did."""
        if self.db is None:
            return False
        stored = self._stored()
        with self._lock:
            if stored == self.toggles:
                return False
            self.toggles = stored
        self._publish()
        return True

    async def _sync_loop(self) -> None:
        while self._subscribers:
            await asyncio.sleep(SYNC_SECONDS)
            await run_in_threadpool(self.refresh)
        self._sync = None

    @classmethod
    def from_file(cls, path: Path, db: Engine | None = None) -> FlagService:
        flags = load_flags(path)
        return cls(flags, path.read_text(encoding="utf-8"), db)

    @classmethod
    def from_text(cls, text: str, source: str = "flags.yaml", db: Engine | None = None) -> FlagService:
        return cls(parse_flags(text, source), text, db)

    def store(
        self, accounts: Accounts, name: str, environment: str, enabled: bool, actor: str, client: str
    ) -> None:
        """The toggle row and its audit row, in one transaction (nothing when there is no database)."""
        detail: dict[str, object] = {
            "environment": environment,
            "enabled": enabled,
            "previous": self.enabled(self.flags.by_name[name], environment),
        }
        if self.db is None:
            accounts.audit(actor, "flag.toggle", "success", name, detail, client)
            return
        with Session(self.db.execution_options(**{WRITE_LOCK: True})) as session, session.begin():
            row = session.scalars(
                select(FlagToggleRow).where(
                    FlagToggleRow.flag == name, FlagToggleRow.environment == environment
                )
            ).first()
            if row is None:
                row = FlagToggleRow(
                    flag=name, environment=environment, enabled=enabled, actor=actor, updated_at=now()
                )
                session.add(row)
            else:
                row.enabled, row.actor, row.updated_at = enabled, actor, now()
            accounts.audit(actor, "flag.toggle", "success", name, detail, client, session=session)

    def enabled(self, flag: Flag, environment: str) -> bool:
        env = flag.environment(environment)
        toggled = self.toggles.get(environment, {}).get(flag.name)
        return toggled if toggled is not None else bool(env is not None and env.enabled)

    def flag_summary(self, flag: Flag) -> dict[str, Any]:
        return {
            "name": flag.name,
            "type": flag.type.value,
            "owner": flag.owner,
            "created": flag.created.isoformat(),
            "description": flag.description,
            "line": flag.line,
            "environments": {
                env.name: {
                    "enabled": self.enabled(flag, env.name),
                    "toggled": flag.name in self.toggles.get(env.name, {}),
                    "strategies": [s.name for s in env.strategies],
                }
                for env in flag.environments
            },
        }

    def _build(self) -> tuple[str, str]:
        body = {
            "revision": self.revision,
            "source": self.flags.path,
            "text": self.text,
            "toggles": self.toggles,
            "flags": [self.flag_summary(f) for f in self.flags.flags],
        }
        encoded = json.dumps(body, sort_keys=True)
        digest = hashlib.sha256(encoded.encode()).hexdigest()[:32]
        return encoded, f'"{digest}"'

    def document(self) -> tuple[str, str]:
        """The JSON document every client reads, and its ETag."""
        return self._document

    def toggle(self, name: str, environment: str, enabled: bool) -> None:
        """Set a toggle and push the new document to every subscriber."""
        with self._lock:
            self.toggles.setdefault(environment, {})[name] = enabled
        self._publish()

    def _publish(self) -> None:
        with self._lock:
            self.revision += 1
            self._document = self._build()
            subscribers = list(self._subscribers)
            message = _event("flags", self._document[0], self.revision)
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(queue.put_nowait, message)

    def subscribe(self) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        with self._lock:
            self._subscribers.add((asyncio.get_running_loop(), queue))
            queue.put_nowait(_event("flags", self._document[0], self.revision))
        if self.db is not None and self._sync is None:
            self._sync = asyncio.get_running_loop().create_task(self._sync_loop())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        with self._lock:
            self._subscribers = {s for s in self._subscribers if s[1] is not queue}

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


def _event(kind: str, data: str, revision: int) -> str:
    return f"id: {revision}\nevent: {kind}\ndata: {data}\n\n"


def install(app: FastAPI, flags_file: str | None) -> None:
    """Serve the flags file's flags when one is configured (SECLOOP_FLAGS_FILE or [server] flags_file);
    without one the routes do not exist (and the published schema does not list them)."""
    app.state.flags = None
    if flags_file:
        app.state.flags = FlagService.from_file(Path(flags_file), app.state.secloop.engine)
        app.include_router(router)


def service_of(request: Request) -> FlagService:
    service: FlagService | None = request.app.state.flags
    if service is None:
        raise HTTPException(404, "this server serves no flags (set SECLOOP_FLAGS_FILE)")
    return service


@router.get("", summary="The flags file and its toggles, for clients that evaluate locally (ETag)")
def list_flags(request: Request, _who: Principal = Depends(READ)) -> Response:
    service = service_of(request)
    service.refresh()
    body, etag = service.document()
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag, "Cache-Control": "no-cache"})


@router.get("/stream", summary="Server-sent events: the document again on every change")
async def stream_flags(request: Request, _who: Principal = Depends(READ)) -> StreamingResponse:
    service = service_of(request)
    queue = service.subscribe()

    async def events() -> AsyncIterator[str]:
        try:
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
        finally:
            service.unsubscribe(queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/{name}", summary="One flag: type, owner, state per environment", responses={404: {}})
def get_flag(request: Request, name: FlagName, _who: Principal = Depends(READ)) -> JSONResponse:
    service = service_of(request)
    flag = service.flags.by_name.get(name)
    if flag is None:
        raise HTTPException(404, f"no flag '{name}'")
    return JSONResponse(service.flag_summary(flag))


@router.post(
    "/{name}/toggle",
    summary="Switch a flag on or off in one environment (audit-logged; pushed to subscribers)",
    responses={404: {}, 422: {}},
)
async def toggle_flag(
    request: Request, name: FlagName, body: ToggleIn, who: Principal = Depends(WRITE)
) -> JSONResponse:
    service = service_of(request)
    flag = service.flags.by_name.get(name)
    if flag is None:
        raise HTTPException(404, f"no flag '{name}'")
    if flag.environment(body.environment) is None:
        known = ", ".join(e.name for e in flag.environments)
        raise HTTPException(422, f"flag '{name}' has no environment '{body.environment}' (it has: {known})")
    # stored with its audit row first: a change that could not be recorded is not made
    accounts = state_of(request).accounts
    await run_in_threadpool(
        service.store, accounts, name, body.environment, body.enabled, who.actor, client_of(request)
    )
    service.toggle(name, body.environment, body.enabled)
    return JSONResponse(service.flag_summary(flag))
