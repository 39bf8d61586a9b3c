"""Shared helpers of the alerts tests: recorded metrics built in memory, promtool, the checkout SLO."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from secloop.alerts.generate import render_rules
from secloop.alerts.replay import RuleSpec, load_rules
from secloop.alerts.slo import load_slo_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"
SLO_FIXTURE = FIXTURES / "checkout-slo.yml"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def promtool() -> str:
    found = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    if found is None:
        pytest.fail(
            "promtool is required for these tests: install Debian's `prometheus` package "
            "(apt install prometheus)"
        )
    return found


def checkout_rules_text() -> str:
    return render_rules(load_slo_file(SLO_FIXTURE, "checkout-slo.yml"), SLO_FIXTURE.read_text())


def checkout_rules() -> list[RuleSpec]:
    return load_rules(checkout_rules_text(), "rules.yml")


def requests_metrics(
    error_fraction: Callable[[float], float], hours: float, rps: float = 100.0, step: int = 15
) -> str:
    """Counters of checkout requests (code 200 and 500) scraped every `step` seconds from T0."""
    ok: list[float] = []
    errors: list[float] = []
    good = bad = 0.0
    for index in range(int(hours * 3600 / step) + 1):
        now = index * step
        ok.append(round(good, 3))
        errors.append(round(bad, 3))
        fraction = error_fraction(now)
        bad += rps * step * fraction
        good += rps * step * (1 - fraction)
    series = [
        {"metric": {"__name__": "http_requests_total", "job": "checkout", "code": "200"}, "values": ok},
        {"metric": {"__name__": "http_requests_total", "job": "checkout", "code": "500"}, "values": errors},
    ]
    return json.dumps({"start": T0, "step": f"{step}s", "series": series})
