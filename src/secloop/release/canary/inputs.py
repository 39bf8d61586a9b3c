"""Samples from CSV (metric,value[,time]), JSON, or a Prometheus range-query response (matrix).

Every malformed line or value is an `InputError` naming the file and line; a series the config
does not know is one too, since a typo there would otherwise silently turn a metric into NoData.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, place_of
from secloop.release.canary.model import JudgeConfig, Samples

_NAN_WORDS = {"", "nan", "NaN", "NAN", "null", "None"}


def _float(raw: str, path: str, line: int) -> float:
    if raw.strip() in _NAN_WORDS:
        return math.nan
    try:
        return float(raw)
    except ValueError:
        raise InputError(
            f"not a number: {raw!r}", place=place_of(path, line), hint="values must be numbers, or empty/NaN"
        ) from None


def _check_name(name: str, known: frozenset[str], path: str, line: int | None) -> None:
    if name not in known:
        raise InputError(
            f"unknown metric '{name}'",
            place=place_of(path, line),
            hint=f"declare it in the judge config (known: {', '.join(sorted(known)) or 'none'})",
        )


def parse_csv(text: str, path: str, known: frozenset[str]) -> Samples:
    samples = Samples(path)
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()) or row[0].lstrip().startswith("#"):
            continue
        if line == 1 and row[0].strip().lower() == "metric":
            continue
        if len(row) not in (2, 3):
            raise InputError(
                f"expected 'metric,value[,time]', got {len(row)} fields",
                place=place_of(path, line),
                hint="one sample per line, e.g. latency_ms,123.4,2026-11-27T10:00:00Z",
            )
        name = row[0].strip()
        _check_name(name, known, path, line)
        samples.values.setdefault(name, []).append(_float(row[1], path, line))
    return samples


def _json_line(text: str, needle: str) -> int | None:
    """The first line of ``text`` that mentions ``needle`` (JSON keeps no positions after loading)."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def _number(value: Any, path: str, line: int | None) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"not a number: {value!r}", place=place_of(path, line))
    if isinstance(value, str):
        return _float(value, path, line or 0)
    return float(value)


def _prometheus(body: dict[str, Any], text: str, path: str, config: JudgeConfig, side: str | None) -> Samples:
    """A range-query response; series are named by ``__name__`` and split by the configured label."""
    data = body.get("data")
    if (
        not isinstance(data, dict)
        or data.get("resultType") != "matrix"
        or not isinstance(data.get("result"), list)
    ):
        raise InputError("a Prometheus response must have data.resultType 'matrix'", place=place_of(path, 1))
    samples = Samples(path)
    for series in data["result"]:
        labels = series.get("metric", {}) if isinstance(series, dict) else {}
        name = str(labels.get("__name__") or labels.get("metric") or "")
        line = _json_line(text, f'"{name}"') if name else None
        if not name:
            raise InputError(
                "a series without __name__ (or a 'metric' label)",
                place=place_of(path, _json_line(text, '"metric"')),
                hint='name each series: label_replace(..., "__name__", "latency_ms", "", "")',
            )
        if side is not None and config.prometheus_label is not None:
            wanted = config.prometheus_baseline if side == "baseline" else config.prometheus_canary
            if labels.get(config.prometheus_label) != wanted:
                continue
        _check_name(name, config.series, path, line)
        values = series.get("values")
        if not isinstance(values, list):
            raise InputError(f"series '{name}' has no 'values' list", place=place_of(path, line))
        target = samples.values.setdefault(name, [])
        for pair in values:
            if not isinstance(pair, list) or len(pair) != 2:
                raise InputError(
                    f"series '{name}': values must be [time, \"value\"] pairs", place=place_of(path, line)
                )
            target.append(_number(pair[1], path, line))
    return samples


def parse_json(text: str, path: str, config: JudgeConfig, side: str | None = None) -> Samples:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", place=place_of(path, exc.lineno, exc.colno)) from None
    if isinstance(body, dict) and "data" in body and "status" in body:
        return _prometheus(body, text, path, config, side)
    samples = Samples(path)
    known = config.series
    if isinstance(body, dict):
        series = body.get("metrics", body)
        if not isinstance(series, dict):
            raise InputError("'metrics' must map names to lists of values", place=place_of(path, 1))
        for name, values in series.items():
            line = _json_line(text, f'"{name}"')
            _check_name(str(name), known, path, line)
            if not isinstance(values, list):
                raise InputError(f"metric '{name}' must be a list of numbers", place=place_of(path, line))
            samples.values[str(name)] = [_number(v, path, line) for v in values]
        return samples
    if isinstance(body, list):
        for item in body:
            if not isinstance(item, dict) or "metric" not in item or "value" not in item:
                raise InputError(
                    "each item must be {metric, value[, time]}", place=place_of(path, _json_line(text, "{"))
                )
            name = str(item["metric"])
            line = _json_line(text, f'"{name}"')
            _check_name(name, known, path, line)
            samples.values.setdefault(name, []).append(_number(item["value"], path, line))
        return samples
    raise InputError(
        "expected an object of metric lists, a list of samples or a Prometheus response",
        place=place_of(path, 1),
    )


def load_samples(path: Path, config: JudgeConfig, side: str | None = None) -> Samples:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read samples: {exc.strerror or exc}", place=place_of(path)) from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        return parse_json(text, str(path), config, side)
    return parse_csv(text, str(path), config.series)


def split_prometheus(path: Path, config: JudgeConfig) -> tuple[Samples, Samples]:
    """Baseline and canary from one Prometheus response, told apart by the configured label."""
    if config.prometheus_label is None:
        raise InputError(
            "one input file for both sides needs 'prometheus: {label: ...}' in the judge config",
            place=place_of(config.path),
            hint="e.g. prometheus: {label: deployment, baseline: stable, canary: canary}",
        )
    return load_samples(path, config, "baseline"), load_samples(path, config, "canary")
