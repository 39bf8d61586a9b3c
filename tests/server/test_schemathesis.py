"""schemathesis against the published OpenAPI schema: every operation, valid and invalid data, 0 failures.

Runs each operation's generated cases (positive and negative) with an admin token through the ASGI
app and applies every schemathesis check: no 5xx, documented status codes and content types, bodies
matching their schemas, invalid data rejected and valid data accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from tests.server.conftest import NOW, Server, loop_results, start

st: Any = pytest.importorskip(
    "schemathesis",
    reason="schemathesis is not installed (a dev dependency: `uv add --dev schemathesis`)",
)
EXAMPLES = 40


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[Server]:
    # A generous limit: the fuzzer sends hundreds of requests a minute from one client.
    yield from start(f"sqlite:///{tmp_path / 'fuzz.db'}", api_rate_per_minute=1_000_000)


def _operations(server: Server) -> list[Any]:
    schema = st.openapi.from_asgi("/api/v1/openapi.json", server.client.app)
    found = [result.ok() for result in schema.get_all_operations()]
    assert found, "the schema lists no operations"
    return found


def _valid_triage(case: Any) -> Any:
    """The expiry rule is relative to today, so no schema can hold it: give valid cases a valid expiry."""
    if isinstance(case.body, dict):
        if case.body.get("state") == "accepted-risk":
            case.body["expires"] = (date.today() + timedelta(days=30)).isoformat()
        else:
            case.body.pop("expires", None)
    return case


def _sends_what_it_means(case: Any) -> bool:
    """An empty list as a query value puts nothing on the wire: the "invalid" request arrives valid."""
    return not any(value == [] for value in (case.query or {}).values())


def test_the_published_schema_holds_for_every_operation(fuzzed: Server) -> None:
    fuzzed.seed("/r/a", "alpha", as_of=NOW, commit="a" * 40, results=loop_results())
    auth = fuzzed.auth("admin")
    operations = _operations(fuzzed)
    labels = {operation.label for operation in operations}
    assert "POST /webhooks/gitlab" in labels and "GET /api/v1/dora" in labels
    failures: list[str] = []
    for operation in operations:
        for mode in (st.GenerationMode.POSITIVE, st.GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if operation.label == "POST /api/v1/triage" and mode is st.GenerationMode.POSITIVE:
                strategy = strategy.map(_valid_triage)
            if mode is st.GenerationMode.NEGATIVE:
                strategy = strategy.filter(_sends_what_it_means)

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case: Any) -> None:
                case.call_and_validate(headers=auth)

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid: the operation takes no parameters and no declared body.
                assert mode is st.GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # collect them all, then report
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
