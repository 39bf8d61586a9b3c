"""Operations endpoints: Prometheus metrics (read scope) and a liveness check."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from secloop.server.accounts import Principal
from secloop.server.api.auth import READ
from secloop.server.api.schemas import SECURED
from secloop.server.state import state_of

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (needs a read token)",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **SECURED},
)
def metrics(request: Request, _who: Principal = Depends(READ)) -> Response:
    state = state_of(request)
    if state.queue_depth.known:
        state.metrics.queue_depth.labels(state.queue_depth.queue).set(state.queue_depth.read())
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="Liveness: the process answers")
def health() -> dict[str, str]:
    return {"status": "ok"}
