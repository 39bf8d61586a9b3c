from __future__ import annotations

import math
import re

import pytest

from secloop.alerts.evaluate import Evaluator, Store
from secloop.alerts.promql import Aggregate, Binary, Call, PromQLError, Selector, parse, parse_duration


def _store() -> Store:
    store = Store()
    for code, slope in (("200", 10.0), ("500", 1.0)):
        series = store.series((("__name__", "req_total"), ("code", code), ("job", "api")))
        for index in range(41):  # every 15s for 10 minutes
            series.add(index * 15.0, slope * index * 15)
    return store


def _eval(text: str, time: float = 600.0) -> object:
    return Evaluator(_store()).instant(parse(text), time)


def test_parse_shapes() -> None:
    expr = parse('max(x{a="b"} > (14.4 * 0.001)) without (w)')
    assert isinstance(expr, Aggregate) and expr.op == "max" and expr.without and expr.labels == ("w",)
    assert isinstance(expr.expr, Binary) and expr.expr.op == ">"
    call = parse("rate(req_total[30m])")
    assert isinstance(call, Call) and isinstance(call.args[0], Selector) and call.args[0].range_s == 1800
    assert parse_duration("1h30m") == 5400 and parse_duration("3d") == 259200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("absent(x)", "function absent() is not supported"),
        ("histogram_quantile(0.9)", "histogram_quantile() takes a quantile and a vector of buckets"),
        ("rate(x[5m] offset 1h)", "offset is not supported"),
        ("x / group_left y", "group_left needs on(...) or ignoring(...) before it"),
        ("x and on(a) group_left y", "no grouping allowed for `and`"),
        ("x / on(a) group_right(a) y", "label 'a' must not occur in on(...) and the group modifier at once"),
        ("rate(x)", "rate() takes one range selector"),
        ("sum(x", "expected ')'"),
        ("x{a=b}", "expected a quoted label value"),
    ],
)
def test_unsupported_expressions_are_refused(text: str, message: str) -> None:
    with pytest.raises(PromQLError, match=re.escape(message)):
        parse(text)


def test_rate_extrapolates_like_prometheus() -> None:
    # Samples every 15s from 0 to 600; a 5m window ending at 600 holds 20 samples from 315 to 600:
    # increase 285*slope extrapolated by 15s at the start -> 300*slope; rate = slope.
    assert _eval('rate(req_total{code="200"}[5m])') == {
        (("code", "200"), ("job", "api")): pytest.approx(10.0)
    }
    assert _eval('increase(req_total{code="500"}[5m])') == {
        (("code", "500"), ("job", "api")): pytest.approx(300.0)
    }


def test_counter_resets_are_corrected() -> None:
    store = Store()
    series = store.series((("__name__", "c"),))
    for index, sample in enumerate([0, 10, 20, 5, 15]):
        series.add(index * 60.0, float(sample))
    value = Evaluator(store).instant(parse("increase(c[4m])"), 240.0)
    # Window (0, 240]: 10, 20, 5, 15 -> (15 - 10) + 20 before the reset = 25 over 180s sampled; the
    # 60s gap to the window start is under 1.1 sample intervals, so it extrapolates to 240s.
    assert isinstance(value, dict)
    assert value[()] == pytest.approx(25 * 240 / 180)


def test_ratio_sum_by_comparison_and_set_ops() -> None:
    ratio = _eval('sum(rate(req_total{code=~"5.."}[5m])) / sum(rate(req_total[5m]))')
    assert ratio == {(): pytest.approx(1 / 11)}
    assert _eval("sum by (code) (rate(req_total[5m])) > 5") == {(("code", "200"),): pytest.approx(10.0)}
    assert _eval("sum by (code) (rate(req_total[5m])) > bool 5") == {
        (("code", "200"),): 1.0,
        (("code", "500"),): 0.0,
    }
    both = _eval('req_total{code="200"} and req_total{code="200"}')
    assert isinstance(both, dict) and len(both) == 1
    assert _eval('req_total{code="200"} and on(job) req_total{code="500"}') == {
        (("__name__", "req_total"), ("code", "200"), ("job", "api")): 6000.0
    }
    assert _eval('req_total{code="200"} unless req_total{code="500"}') == {
        (("__name__", "req_total"), ("code", "200"), ("job", "api")): 6000.0
    }
    either = _eval('req_total{code="200"} or req_total{code="404"}')
    assert isinstance(either, dict) and list(either.values()) == [6000.0]
    assert _eval("vector(1 - 0.999)") == {(): pytest.approx(0.001)}
    assert _eval("-(2 * 3) + 1") == -5.0


def test_lookback_and_zero_division() -> None:
    assert _eval("req_total", 600.0 + 301) == {}
    value = _eval('sum(rate(req_total{code="404"}[5m])) / sum(rate(req_total[5m]))')
    assert value == {}
    nan = _eval("vector(0) / vector(0)")
    assert isinstance(nan, dict) and math.isnan(nan[()])
