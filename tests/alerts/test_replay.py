from __future__ import annotations

import json

import pytest

from secloop.alerts.replay import Incident, load_incidents, load_metrics, load_rules, replay, score
from secloop.alerts.webhook import ZERO_TIME, fingerprint, notifications
from secloop.core.errors import InputError
from tests.alerts.conftest import T0, checkout_rules, requests_metrics

OUTAGE_START, OUTAGE_END = 2 * 3600, 2 * 3600 + 1800
PAGE, TICKET = "CheckoutAvailabilityBurnRatePage", "CheckoutAvailabilityBurnRateTicket"


def _outage(now: float) -> float:
    return 1.0 if OUTAGE_START <= now < OUTAGE_END else 0.0005


def test_full_outage_pages_within_two_minutes() -> None:
    rules = checkout_rules()
    result = replay(rules, load_metrics(requests_metrics(_outage, hours=4), "m.json"), 30.0)
    incident = Incident("outage", T0 + OUTAGE_START, T0 + OUTAGE_END, (PAGE,))
    page = next(s for s in score(rules, result, [incident]) if s.alert == PAGE)
    assert page.detection_s == (60.0,)
    assert page.detection_s[0] <= 120
    assert (page.precision, page.recall, page.detected, page.incidents) == (1.0, 1.0, 1, 1)
    assert page.intervals == ((T0 + OUTAGE_START + 60, T0 + OUTAGE_END + 1800),)
    assert page.reset_s == (1800.0,)


def test_a_five_minute_spike_of_one_percent_errors_never_pages() -> None:
    def spike(now: float) -> float:
        return 0.01 if 3 * 3600 <= now < 3 * 3600 + 300 else 0.0

    rules = checkout_rules()
    result = replay(rules, load_metrics(requests_metrics(spike, hours=8), "m.json"), 30.0)
    assert result.evaluations == 8 * 120 + 1
    assert [e for e in result.episodes if e.alert in (PAGE, TICKET)] == []
    scores = {s.alert: s for s in score(rules, result, [])}
    assert scores[PAGE].intervals == () and scores[PAGE].precision is None and scores[PAGE].recall is None


def test_a_sustained_two_percent_error_rate_pages() -> None:
    # A 20x burn pages once the 1h window holds 72% of an hour of it (1.44% / 2%): the spike test's
    # silence is not an alert that can never fire.
    def degraded(now: float) -> float:
        return 0.02 if now >= 3600 else 0.0

    rules = checkout_rules()
    result = replay(rules, load_metrics(requests_metrics(degraded, hours=2), "m.json"), 30.0)
    pages = [e for e in result.episodes if e.alert == PAGE]
    assert len(pages) == 1 and pages[0].end is None
    assert pages[0].fired_at - (T0 + 3600) == 1560.0


RULES_WITH_FOR = """\
groups:
  - name: g
    rules:
      - record: job:errors:rate1m
        expr: sum by (job) (rate(http_requests_total{code="500"}[1m]))
      - alert: Errors
        expr: job:errors:rate1m > 1
        for: 2m
        labels:
          severity: page
          team: payments
        annotations:
          summary: "{{ $labels.job }} fails {{ $value }}/s"
"""


def _bursts(now: float) -> float:
    # Two error bursts: 10:00-10:10 (a real incident) and 10:30-10:31 (too short for `for: 2m`),
    # and 11:00-11:05 (not labelled: a false alarm).
    minute = now / 60
    return 1.0 if 10 <= minute < 20 or 30 <= minute < 31 or 60 <= minute < 65 else 0.0


def test_for_durations_precision_recall_and_reset() -> None:
    rules = load_rules(RULES_WITH_FOR, "rules.yml")
    store = load_metrics(requests_metrics(_bursts, hours=1.5, rps=10), "m.json")
    result = replay(rules, store, 15.0)
    incidents = load_incidents(
        "incidents:\n  - name: db-down\n    start: 2026-01-01T00:10:00Z\n    end: 2026-01-01T00:20:00Z\n"
        "  - name: unseen\n    start: 2026-01-01T01:20:00Z\n    end: 2026-01-01T01:25:00Z\n",
        "incidents.yml",
    )
    (errors,) = score(rules, result, incidents)
    starts = [round(s - T0) for s, _ in errors.intervals]
    assert starts == [600 + 120 + 15, 3600 + 120 + 15]  # rate over 1m needs two samples; then `for: 2m`
    assert (errors.true_intervals, errors.precision, errors.detected, errors.recall) == (1, 0.5, 1, 0.5)
    assert errors.detection_s == (135.0,)
    assert errors.reset_s == (45.0,)
    first = result.episodes[0]
    assert dict(first.annotations)["summary"] == "checkout fails 10/s"
    assert dict(first.labels) == {
        "alertname": "Errors",
        "job": "checkout",
        "severity": "page",
        "team": "payments",
    }


def test_recordings_go_stale_when_their_input_disappears() -> None:
    rules = load_rules(
        "groups:\n- name: g\n  rules:\n  - record: r\n    expr: x > 5\n  - alert: A\n    expr: r\n",
        "rules.yml",
    )
    data = {"start": T0, "step": "60s", "series": [{"metric": {"__name__": "x"}, "values": [1, 9, 9, 1, 1]}]}
    result = replay(rules, load_metrics(json.dumps(data), "m.json"), 60.0)
    assert [(e.fired_at - T0, e.end - T0 if e.end else None) for e in result.episodes] == [(60.0, 180.0)]


def test_unsupported_expression_names_the_rule_and_line() -> None:
    text = "groups:\n- name: g\n  rules:\n  - alert: Slow\n    expr: quantile_over_time(0.99, x[5m]) > 1\n"
    with pytest.raises(InputError) as caught:
        load_rules(text, "rules.yml")
    assert str(caught.value.place) == "rules.yml:5"
    assert caught.value.message == "alert 'Slow': function quantile_over_time() is not supported"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2", "not valid JSON"),
        ('{"data": {"result": [{"metric": {}, "values": [[1, "x"]]}]}}', "malformed metrics"),
        ('{"start": 0, "step": "15s", "series": []}', "holds no samples"),
        ('{"foo": 1}', "expected Prometheus range-query JSON"),
    ],
)
def test_malformed_metrics(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_metrics(text, "m.json")


def test_prometheus_range_query_json_is_read() -> None:
    text = json.dumps(
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {"__name__": "up"}, "values": [[10, "1"], [25, "0"]]}],
            },
        }
    )
    store = load_metrics(text, "m.json")
    assert store.time_range() == (10.0, 25.0)


def test_incidents_need_an_end_after_the_start() -> None:
    with pytest.raises(InputError) as caught:
        load_incidents(
            "incidents:\n  - start: 2026-01-01T00:10:00Z\n    end: 2026-01-01T00:05:00Z\n", "i.yml"
        )
    assert str(caught.value.place) == "i.yml:3"


def test_webhook_payloads_are_alertmanager_v4() -> None:
    rules = load_rules(RULES_WITH_FOR, "rules.yml")
    result = replay(rules, load_metrics(requests_metrics(_bursts, hours=1.5, rps=10), "m.json"), 15.0)
    payloads = notifications(result)
    assert [p["status"] for p in payloads] == ["firing", "resolved", "firing", "resolved"]
    first = payloads[0]
    assert first["version"] == "4" and first["groupKey"] == '{}:{alertname="Errors"}'
    alert = first["alerts"][0]
    assert alert["startsAt"] == "2026-01-01T00:12:15Z" and alert["endsAt"] == ZERO_TIME
    assert alert["labels"]["team"] == "payments"
    assert alert["fingerprint"] == fingerprint(alert["labels"]) and len(alert["fingerprint"]) == 16
    assert payloads[1]["alerts"][0]["endsAt"] == "2026-01-01T00:20:45Z"


def test_fingerprint_is_prometheus_fnv1a() -> None:
    assert fingerprint({}) == "cbf29ce484222325"  # FNV-1a 64 offset basis: the empty label set
    assert fingerprint({"a": "b"}) != fingerprint({"a": "c"})
