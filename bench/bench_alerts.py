"""Replay speed of `secloop alerts replay`, and the detection goals, on synthetic recorded metrics.

Usage: env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/bench_alerts.py [--days 7]

Builds 100 req/s checkout counters scraped every 15s with a 30-minute full outage and a 5-minute 1%
spike, generates the rules from tests/fixtures/alerts/checkout-slo.yml, replays them every 30s and
prints evaluations per second, the page's detection time for the outage and whether the spike paged.
For reference it also times `promtool test rules` on the unit-test fixture (different work: a few
evaluations on a 2-hour series), when promtool is installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from secloop.alerts.generate import render_rules
from secloop.alerts.replay import Incident, load_metrics, load_rules, replay, score
from secloop.alerts.slo import load_slo_file

ROOT = Path(__file__).resolve().parents[1]
SLO = ROOT / "tests" / "fixtures" / "alerts" / "checkout-slo.yml"
T0 = 1_767_225_600
PAGE = "CheckoutAvailabilityBurnRatePage"


def metrics(days: float, outage: tuple[int, int], spike: tuple[int, int]) -> str:
    ok, errors = [], []
    good = bad = 0.0
    for index in range(int(days * 86400 / 15) + 1):
        now = index * 15
        ok.append(round(good, 3))
        errors.append(round(bad, 3))
        fraction = 1.0 if outage[0] <= now < outage[1] else 0.01 if spike[0] <= now < spike[1] else 0.0002
        bad += 1500 * fraction
        good += 1500 * (1 - fraction)
    series = [
        {"metric": {"__name__": "http_requests_total", "job": "checkout", "code": "200"}, "values": ok},
        {"metric": {"__name__": "http_requests_total", "job": "checkout", "code": "500"}, "values": errors},
    ]
    return json.dumps({"start": T0, "step": "15s", "series": series})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=7.0)
    args = parser.parse_args()
    outage = (int(args.days * 86400 * 0.75), int(args.days * 86400 * 0.75) + 1800)
    spike = (int(args.days * 86400 * 0.25), int(args.days * 86400 * 0.25) + 300)
    rules = load_rules(render_rules(load_slo_file(SLO), SLO.read_text()), "rules.yml")
    text = metrics(args.days, outage, spike)
    started = time.perf_counter()
    store = load_metrics(text, "metrics.json")
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    result = replay(rules, store, 30.0)
    elapsed = time.perf_counter() - started
    incidents = [Incident("outage", T0 + outage[0], T0 + outage[1], (PAGE,))]
    page = next(s for s in score(rules, result, incidents) if s.alert == PAGE)
    spike_pages = [s for s, _ in page.intervals if T0 + spike[0] <= s < T0 + spike[0] + 3 * 3600]
    samples = sum(len(s.times) for s in store.all_series())
    print(
        f"metrics: {args.days:g} days, 2 series x 15s, {len(text) / 1e6:.1f} MB JSON, loaded in {loaded:.2f}s"
    )
    print(
        f"replay: {result.evaluations} evaluations x {len(rules)} rules in {elapsed:.2f}s "
        f"({result.evaluations / elapsed:,.0f} evaluations/s, "
        f"{result.evaluations * len(rules) / elapsed:,.0f} rule evaluations/s); "
        f"{samples:,} samples incl. recordings"
    )
    print(
        f"outage: page detection {page.detection_s[0]:.0f}s, precision {page.precision}, "
        f"recall {page.recall}; 1% spike pages: {len(spike_pages)}"
    )
    promtool = shutil.which("promtool")
    if promtool:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "rules.yml").write_text(render_rules(load_slo_file(SLO), SLO.read_text()))
            shutil.copy(ROOT / "tests" / "fixtures" / "alerts" / "checkout-unit.yml", folder)
            started = time.perf_counter()
            subprocess.run(
                [promtool, "test", "rules", "checkout-unit.yml"], cwd=folder, check=True, capture_output=True
            )
            print(f"reference: promtool test rules on the unit fixture: {time.perf_counter() - started:.2f}s")


if __name__ == "__main__":
    main()
