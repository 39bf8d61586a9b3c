"""group_left/group_right vector matching and histogram_quantile(): exact values, and the same
values from Prometheus itself (`promtool test rules`) on the same series."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest

from secloop.alerts.evaluate import Evaluator, Labels, Store, Vector, bucket_quantile
from secloop.alerts.promql import PromQLError, parse
from tests.alerts.conftest import promtool

STEPS = 21  # one sample a minute, minutes 0..20
EVAL_MINUTE = 10
INF = math.inf
NAN = math.nan


def _counter(per_minute: float) -> list[float]:
    return [per_minute * i for i in range(STEPS)]


def _gauge(value: float) -> list[float]:
    return [value] * STEPS


def _bucket(job: str, le: str, values: list[float]) -> tuple[dict[str, str], list[float]]:
    return {"__name__": "latency_seconds_bucket", "job": job, "le": le}, values


SERIES: list[tuple[dict[str, str], list[float]]] = [
    ({"__name__": "requests_total", "instance": "a", "job": "api", "code": "200"}, _counter(10)),
    ({"__name__": "requests_total", "instance": "a", "job": "api", "code": "500"}, _counter(1)),
    ({"__name__": "requests_total", "instance": "b", "job": "api", "code": "200"}, _counter(20)),
    ({"__name__": "build_info", "instance": "a", "job": "api", "version": "1.2.0"}, _gauge(1)),
    ({"__name__": "build_info", "instance": "b", "job": "api", "version": "1.3.0"}, _gauge(2)),
    ({"__name__": "machine_role", "instance": "a", "role": "db"}, _gauge(150)),
    ({"__name__": "machine_role", "instance": "b"}, _gauge(150)),
    # a regular histogram: 100 observations
    _bucket("ok", "0.1", _gauge(50)),
    _bucket("ok", "0.5", _gauge(80)),
    _bucket("ok", "1", _gauge(95)),
    _bucket("ok", "+Inf", _gauge(100)),
    # buckets that are not monotonic (0.5 below 0.1), fixed to 50
    _bucket("nonmono", "0.1", _gauge(50)),
    _bucket("nonmono", "0.5", _gauge(40)),
    _bucket("nonmono", "1", _gauge(95)),
    _bucket("nonmono", "+Inf", _gauge(100)),
    # no +Inf bucket
    _bucket("noinf", "0.1", _gauge(5)),
    _bucket("noinf", "1", _gauge(10)),
    # only one bucket
    _bucket("single", "+Inf", _gauge(10)),
    # no observations
    _bucket("empty", "0.1", _gauge(0)),
    _bucket("empty", "+Inf", _gauge(0)),
    # le="1" and le="1.0" are one bucket
    _bucket("dup", "0.5", _gauge(5)),
    _bucket("dup", "1", _gauge(10)),
    _bucket("dup", "1.0", _gauge(10)),
    _bucket("dup", "+Inf", _gauge(30)),
    # the lowest bucket's bound is negative
    _bucket("neg", "-1", _gauge(10)),
    _bucket("neg", "0", _gauge(20)),
    _bucket("neg", "+Inf", _gauge(30)),
    # a growing histogram, for the usual rate() form
    ({"__name__": "rpc_seconds_bucket", "le": "0.25"}, _counter(30)),
    ({"__name__": "rpc_seconds_bucket", "le": "1"}, _counter(50)),
    ({"__name__": "rpc_seconds_bucket", "le": "+Inf"}, _counter(60)),
]

API_A = (("instance", "a"), ("job", "api"))
API_B = (("instance", "b"), ("job", "api"))


def _l(*pairs: tuple[str, str]) -> Labels:
    return tuple(sorted(pairs))


CASES: list[tuple[str, Vector]] = [
    (
        "requests_total * on(instance) group_left(version) build_info",
        {
            _l(("code", "200"), *API_A, ("version", "1.2.0")): 100.0,
            _l(("code", "500"), *API_A, ("version", "1.2.0")): 10.0,
            _l(("code", "200"), *API_B, ("version", "1.3.0")): 400.0,
        },
    ),
    (
        "requests_total / ignoring(code, version) group_left build_info",
        {
            _l(("code", "200"), *API_A): 100.0,
            _l(("code", "500"), *API_A): 10.0,
            _l(("code", "200"), *API_B): 100.0,
        },
    ),
    (
        "build_info - on(instance, job) group_right(version) requests_total",
        {
            _l(("code", "200"), *API_A, ("version", "1.2.0")): -99.0,
            _l(("code", "500"), *API_A, ("version", "1.2.0")): -9.0,
            _l(("code", "200"), *API_B, ("version", "1.3.0")): -198.0,
        },
    ),
    (
        # a filtering comparison keeps the metric name; an empty "one"-side label is left out
        "requests_total > on(instance) group_left(role) machine_role",
        {_l(("__name__", "requests_total"), ("code", "200"), *API_B): 200.0},
    ),
    (
        "requests_total > bool on(instance) group_left(role) machine_role",
        {
            _l(("code", "200"), *API_A, ("role", "db")): 0.0,
            _l(("code", "500"), *API_A, ("role", "db")): 0.0,
            _l(("code", "200"), *API_B): 1.0,
        },
    ),
    (
        # group_right with a filter keeps the left operand's value under the right side's labels
        "machine_role < on(instance) group_right requests_total",
        {_l(("__name__", "requests_total"), ("code", "200"), *API_B): 150.0},
    ),
    (
        # one-to-one ignoring() drops the ignored labels from the result
        'requests_total{code="500"} / ignoring(code) requests_total{code="200"}',
        {API_A: 0.1},
    ),
    ('histogram_quantile(0.9, latency_seconds_bucket{job="ok"})', {(("job", "ok"),): 0.5 + 0.5 * (10 / 15)}),
    ('histogram_quantile(0.5, latency_seconds_bucket{job="ok"})', {(("job", "ok"),): 0.1}),
    ('histogram_quantile(0, latency_seconds_bucket{job="ok"})', {(("job", "ok"),): 0.0}),
    ('histogram_quantile(0.99, latency_seconds_bucket{job="ok"})', {(("job", "ok"),): 1.0}),
    ('histogram_quantile(1, latency_seconds_bucket{job="ok"})', {(("job", "ok"),): 1.0}),
    ('histogram_quantile(-0.5, latency_seconds_bucket{job="ok"})', {(("job", "ok"),): -INF}),
    ('histogram_quantile(1.5, latency_seconds_bucket{job="ok"})', {(("job", "ok"),): INF}),
    (
        'histogram_quantile(0.6, latency_seconds_bucket{job="nonmono"})',
        {(("job", "nonmono"),): 0.5 + 0.5 * (10 / 45)},
    ),
    ('histogram_quantile(0.5, latency_seconds_bucket{job="noinf"})', {(("job", "noinf"),): NAN}),
    ('histogram_quantile(0.5, latency_seconds_bucket{job="single"})', {(("job", "single"),): NAN}),
    ('histogram_quantile(0.5, latency_seconds_bucket{job="empty"})', {(("job", "empty"),): NAN}),
    (
        'histogram_quantile(0.5, latency_seconds_bucket{job="dup"})',
        {(("job", "dup"),): 0.5 + 0.5 * (10 / 15)},
    ),
    ('histogram_quantile(0.1, latency_seconds_bucket{job="neg"})', {(("job", "neg"),): -1.0}),
    ('histogram_quantile(0.5, latency_seconds_bucket{job="neg"})', {(("job", "neg"),): -1.0 + 0.5}),
    ("histogram_quantile(0.75, sum by (le) (rate(rpc_seconds_bucket[5m])))", {(): 0.25 + 0.75 * (15 / 20)}),
]


def _store() -> Store:
    store = Store()
    for labels, values in SERIES:
        series = store.series(tuple(sorted(labels.items())))
        for minute, value in enumerate(values):
            series.add(minute * 60.0, value)
    return store


def _same(got: Vector, expected: Vector) -> bool:
    if got.keys() != expected.keys():
        return False
    return all(
        (math.isnan(v) and math.isnan(expected[k])) or v == pytest.approx(expected[k], rel=1e-12)
        for k, v in got.items()
    )


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_native_values(text: str, expected: Vector) -> None:
    got = Evaluator(_store()).instant(parse(text), EVAL_MINUTE * 60.0)
    assert isinstance(got, dict)
    assert _same(got, expected), got


def _series_text(labels: Labels) -> str:
    pairs = dict(labels)
    name = pairs.pop("__name__", "")
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + "}"


def _yaml_float(value: float) -> str:
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _unit_file() -> str:
    lines = [
        "rule_files: [rules.yml]",
        "evaluation_interval: 1m",
        "tests:",
        "  - interval: 1m",
        "    input_series:",
    ]
    for labels, values in SERIES:
        lines.append(f"      - series: '{_series_text(tuple(sorted(labels.items())))}'")
        lines.append(f"        values: '{' '.join(_yaml_float(v) for v in values)}'")
    lines.append("    promql_expr_test:")
    evaluator = Evaluator(_store())
    for text, _ in CASES:
        got = evaluator.instant(parse(text), EVAL_MINUTE * 60.0)
        assert isinstance(got, dict)
        if any(math.isnan(v) for v in got.values()):
            # NaN never equals NaN in promtool's comparison: test "is NaN" as `x != bool x` instead.
            text = f"({text}) != bool ({text})"
            got = {tuple(i for i in k if i[0] != "__name__"): float(math.isnan(v)) for k, v in got.items()}
        lines.append(f"      - expr: '{text}'")
        lines.append(f"        eval_time: {EVAL_MINUTE}m")
        lines.append("        exp_samples:")
        for key, value in sorted(got.items()):
            lines.append(f"          - labels: '{_series_text(key)}'")
            lines.append(f"            value: {_yaml_float(value)}")
    return "\n".join(lines) + "\n"


def test_prometheus_agrees_with_the_native_evaluator(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text("groups: []\n")
    (tmp_path / "unit.yml").write_text(_unit_file())
    done = subprocess.run(
        [promtool(), "test", "rules", "unit.yml"], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_prometheus_sees_a_wrong_expectation(tmp_path: Path) -> None:
    # The comparison above is only worth something if promtool fails on a value off by a little.
    (tmp_path / "rules.yml").write_text("groups: []\n")
    text = _unit_file().replace("value: 0.8333333333333333", "value: 0.8333333333333334", 1)
    assert text != _unit_file()
    (tmp_path / "unit.yml").write_text(text)
    done = subprocess.run(
        [promtool(), "test", "rules", "unit.yml"], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 1
    assert 'got: {job="ok"} 8.333333333333333E-01' in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "requests_total * on(job) group_left build_info",
            'found duplicate series for the match group {job="api"} on the right hand-side of the '
            'operation (*): build_info{instance="b", job="api", version="1.3.0"} and '
            'build_info{instance="a", job="api", version="1.2.0"}; many-to-many matching is not allowed',
        ),
        (
            "build_info + on(job) group_right requests_total",
            'found duplicate series for the match group {job="api"} on the left hand-side of the operation',
        ),
        (
            "requests_total / on(instance) build_info",
            'multiple matches for labels {instance="a"} (/): many-to-one matching must be explicit',
        ),
        (
            "requests_total / on(instance) group_left(version) build_info * on(job) group_left machine_role",
            "found duplicate series for the match group {}",
        ),
        (
            "requests_total / on(instance) group_left(code) requests_total{code='500'}",
            'multiple matches for labels {code="500", instance="a", job="api"} (/): grouping labels must '
            "ensure unique matches",
        ),
        ("1 * on(a) group_left vector(1)", "group_left is only allowed between two vectors"),
        ("histogram_quantile(latency_seconds_bucket, 0.5)", "histogram_quantile() takes a scalar quantile"),
    ],
)
def test_matching_errors(text: str, message: str) -> None:
    with pytest.raises(PromQLError, match=re.escape(message)):
        Evaluator(_store()).instant(parse(text), EVAL_MINUTE * 60.0)


@pytest.mark.parametrize(
    ("q", "buckets", "expected"),
    [
        (NAN, [(1.0, 1.0), (INF, 2.0)], NAN),
        (0.5, [(INF, 4.0), (1.0, 2.0)], 1.0),  # sorted by bound first
        (0.5, [(1.0, 2.0), (INF, NAN)], 1.0),  # NaN observations: the rank is found nowhere
        (0.25, [(2.0, 4.0), (4.0, 8.0), (INF, 8.0)], 1.0),
    ],
)
def test_bucket_quantile_edges(q: float, buckets: list[tuple[float, float]], expected: float) -> None:
    got = bucket_quantile(q, buckets)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected
