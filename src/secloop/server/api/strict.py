"""Query strings hold only the parameters an operation declares, each once: anything else is a 422.

Silently ignoring an unknown or repeated parameter hides a client's typo (`?severty=high` would list
everything); the published schema says what is accepted, and the server holds to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

# By endpoint function: it outlives every app built in the process, and its parameters are the route's.
_DECLARED: dict[Callable[..., Any], frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route: APIRoute) -> frozenset[str]:
    known = _DECLARED.get(route.endpoint)
    if known is None:
        known = _DECLARED[route.endpoint] = frozenset(_query_names(route.dependant))
    return known


def strict_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    known = _declared(route)
    errors = []
    for name in dict.fromkeys(request.query_params.keys()):
        if name not in known:
            errors.append(
                {"loc": ["query", name[:64]], "msg": "unknown parameter", "type": "extra_forbidden"}
            )
        elif len(request.query_params.getlist(name)) > 1:
            errors.append({"loc": ["query", name], "msg": "given more than once", "type": "repeated"})
    if errors:
        raise HTTPException(422, errors[:20])
