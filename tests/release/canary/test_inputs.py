from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from secloop.core.errors import InputError
from secloop.release.canary.inputs import load_samples, parse_csv, parse_json, split_prometheus

from .conftest import config

CFG = config("metrics:\n  - name: latency_ms\n  - {name: errors, kind: count}\n")


def test_csv_with_header_comments_and_nan() -> None:
    text = "metric,value,time\n# warm-up excluded\nlatency_ms,12.5,1\nlatency_ms,NaN,2\nerrors,3\n\n"
    samples = parse_csv(text, "b.csv", CFG.series)
    assert samples.values["errors"] == [3.0]
    assert samples.values["latency_ms"][0] == 12.5 and math.isnan(samples.values["latency_ms"][1])


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("latency_ms,1\nlatency_ms,fast\n", 2, "not a number: 'fast'"),
        ("latency_ms,1\nlatency_ms,1,2,3\n", 2, "expected 'metric,value[,time]', got 4 fields"),
        ("latency_ms,1\nlatencyms,4\n", 2, "unknown metric 'latencyms'"),
    ],
)
def test_csv_errors_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_csv(text, "c.csv", CFG.series)
    assert str(info.value.place) == f"c.csv:{line}"
    assert message in info.value.message


def test_json_object_and_list_forms() -> None:
    obj = parse_json('{"metrics": {"latency_ms": [1, 2.5, null], "errors": [0]}}', "x.json", CFG)
    assert obj.values["latency_ms"][:2] == [1.0, 2.5] and math.isnan(obj.values["latency_ms"][2])
    listed = parse_json(
        '[{"metric": "errors", "value": 2, "time": 1}, {"metric": "errors", "value": "3"}]', "y.json", CFG
    )
    assert listed.values == {"errors": [2.0, 3.0]}
    with pytest.raises(InputError) as info:
        parse_json('{\n  "latency_ms": [1],\n  "cpu": [2]\n}', "z.json", CFG)
    assert str(info.value.place) == "z.json:3"
    assert "unknown metric 'cpu'" in info.value.message


def _matrix(*series: tuple[dict[str, str], list[float | str]]) -> str:
    result = [
        {"metric": labels, "values": [[1700000000 + 15 * i, str(v)] for i, v in enumerate(vals)]}
        for labels, vals in series
    ]
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}}, indent=1)


def test_prometheus_range_query_split_by_label(tmp_path: Path) -> None:
    cfg = config(
        "prometheus: {label: track, baseline: stable, canary: canary}\nmetrics:\n  - name: latency_ms\n"
    )
    path = tmp_path / "range.json"
    path.write_text(
        _matrix(
            ({"__name__": "latency_ms", "track": "stable", "pod": "a"}, [10, 11]),
            ({"__name__": "latency_ms", "track": "stable", "pod": "b"}, [12]),
            ({"__name__": "latency_ms", "track": "canary", "pod": "c"}, [13, 14]),
        )
    )
    base, canary = split_prometheus(path, cfg)
    assert base.values == {"latency_ms": [10.0, 11.0, 12.0]}
    assert canary.values == {"latency_ms": [13.0, 14.0]}
    one = tmp_path / "canary.json"
    one.write_text(_matrix(({"__name__": "latency_ms"}, [5, "NaN"])))
    assert load_samples(one, CFG).values["latency_ms"][0] == 5.0


def test_prometheus_without_label_config_and_unnamed_series(tmp_path: Path) -> None:
    path = tmp_path / "range.json"
    path.write_text(_matrix(({"job": "api"}, [1])))
    with pytest.raises(InputError, match="needs 'prometheus: \\{label"):
        split_prometheus(path, CFG)
    with pytest.raises(InputError) as info:
        load_samples(path, CFG)
    assert "a series without __name__" in info.value.message
    bad = tmp_path / "bad.json"
    bad.write_text('{"status": "success", "data": {"resultType": "vector", "result": []}}')
    with pytest.raises(InputError, match="resultType 'matrix'"):
        load_samples(bad, CFG)
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "latency_ms": [1,\n}')
    with pytest.raises(InputError) as jinfo:
        load_samples(broken, CFG)
    assert jinfo.value.place is not None and jinfo.value.place.line == 3
