"""Bearer-token authentication of API requests, with scopes: missing or bad token 401, too weak 403."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from secloop.server.accounts import Principal
from secloop.server.crypto import Scope, grants
from secloop.server.state import client_of, limit, state_of

BEARER = HTTPBearer(auto_error=False, description="An API token made by `secloop admin create-token`.")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require(scope: Scope) -> Callable[..., Principal]:
    """A dependency admitting requests whose token holds `scope` (or a higher one)."""

    def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(BEARER)
    ) -> Principal:
        state = state_of(request)
        limit(request, state.api_limit, "api", client_of(request))
        if credentials is None or credentials.scheme.lower() != "bearer":
            state.metrics.auth_failures.labels("missing").inc()
            raise HTTPException(401, "an API token is required (Authorization: Bearer …)", headers=CHALLENGE)
        principal, reason = state.accounts.authenticate(credentials.credentials)
        if principal is None:
            state.metrics.auth_failures.labels(reason).inc()
            raise HTTPException(401, "the API token is not valid", headers=CHALLENGE)
        if not grants(principal.scopes, scope):
            state.metrics.auth_failures.labels("scope").inc()
            raise HTTPException(403, f"this token lacks the '{scope.value}' scope")
        return principal

    return dependency


READ = require(Scope.READ)
WRITE = require(Scope.WRITE)
ADMIN = require(Scope.ADMIN)
