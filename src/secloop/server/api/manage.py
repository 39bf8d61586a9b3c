"""/api/v1: users and tokens (admin scope), and the organisation's DORA metrics (read scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from secloop.core.errors import UsageError
from secloop.delivery.metrics import Options
from secloop.server.accounts import Principal
from secloop.server.api.auth import ADMIN, READ
from secloop.server.api.schemas import (
    BODY,
    SECURED,
    DoraMetricOut,
    DoraOut,
    DoraRowOut,
    TokenOut,
    UserIn,
    UserOut,
    problem,
)
from secloop.server.api.strict import strict_query
from secloop.server.dora import RepositoryDora, organisation_dora
from secloop.server.state import client_of, state_of

router = APIRouter(prefix="/api/v1", tags=["api"], responses=SECURED, dependencies=[Depends(strict_query)])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Prefix = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]


@router.get("/users", summary="Dashboard users (admin)")
def list_users(request: Request, _who: Principal = Depends(ADMIN)) -> list[UserOut]:
    return [UserOut.of(u) for u in state_of(request).accounts.users()]


@router.post(
    "/users",
    status_code=201,
    summary="Create a dashboard user (admin)",
    responses={409: problem("A user of that name exists"), **BODY},
)
def create_user(request: Request, body: UserIn, who: Principal = Depends(ADMIN)) -> UserOut:
    accounts = state_of(request).accounts
    if accounts.user(body.username) is not None:
        raise HTTPException(409, f"the user {body.username!r} exists already")
    try:
        accounts.create_user(body.username, body.password, is_admin=body.is_admin, actor=who.actor)
    except UsageError as exc:  # created by someone else in between
        raise HTTPException(409, exc.message) from None
    created = next(u for u in accounts.users() if u.username == body.username)
    return UserOut.of(created)


@router.post(
    "/users/{user_id}/disable",
    summary="Disable a user: sessions end, logons and the user's tokens are refused (admin)",
    responses={404: problem("No such user")},
)
def disable_user(request: Request, user_id: UserId, who: Principal = Depends(ADMIN)) -> UserOut:
    done = state_of(request).accounts.disable_user(user_id, actor=who.actor, client=client_of(request))
    if done is None:
        raise HTTPException(404, f"no user {user_id}")
    return UserOut.of(done)


@router.get("/tokens", summary="API tokens, newest first, never their values (admin)")
def list_tokens(request: Request, _who: Principal = Depends(ADMIN)) -> list[TokenOut]:
    return [TokenOut.of(t) for t in state_of(request).accounts.tokens()]


@router.post(
    "/tokens/{prefix}/revoke",
    summary="Revoke an API token by its prefix (admin)",
    responses={404: problem("No active token with that prefix")},
)
def revoke_token(request: Request, prefix: Prefix, who: Principal = Depends(ADMIN)) -> TokenOut:
    accounts = state_of(request).accounts
    if not accounts.revoke_token(prefix, actor=who.actor, client=client_of(request)):
        raise HTTPException(404, f"no active token with prefix {prefix!r}")
    return TokenOut.of(next(t for t in accounts.tokens() if t.prefix == prefix))


def dora_row(row: RepositoryDora) -> DoraRowOut:
    window = row.report.window
    return DoraRowOut(
        repository=row.repository,
        deployments=row.deployments,
        incidents=row.incidents,
        reason=row.report.reason,
        window_start=None if window is None else window.start,
        window_end=None if window is None else window.end,
        metrics=[
            DoraMetricOut(
                id=m.id,
                title=m.title,
                value=m.value,
                unit=m.unit,
                tier=m.tier,
                samples=m.samples,
                reason=m.reason,
            )
            for m in row.report.metrics
        ],
        weekly_deployments=list(row.report.weekly),
    )


async def compute_dora(request: Request, window_days: int, environment: str) -> DoraOut:
    state = state_of(request)
    options = Options(window_days=window_days, environment=environment)
    pooled, rows = await run_in_threadpool(organisation_dora, state.engine, options)
    return DoraOut(
        environment=environment,
        window_days=window_days,
        organisation=dora_row(pooled),
        repositories=[dora_row(r) for r in rows],
    )


@router.get("/dora", summary="DORA metrics of the organisation and of each repository, from stored events")
async def dora(
    request: Request,
    window_days: Annotated[int, Query(ge=7, le=365)] = 90,
    environment: Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")] = (
        "production"
    ),
    _who: Principal = Depends(READ),
) -> DoraOut:
    return await compute_dora(request, window_days, environment)
