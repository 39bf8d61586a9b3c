"""The judge configuration (YAML or JSON), validated with the line of every mistake.

```yaml
baseline: baseline.csv          # paths relative to this file; --baseline/--canary override them
canary: canary.csv
thresholds: {pass: 95, marginal: 75}
groups: {latency: 50, errors: 30, security: 20}
traffic: {baseline: 90, canary: 10, metric: requests}
metrics:
  - {name: latency_ms, group: latency, direction: increase, allowed_increase: 1.1,
     outliers: remove, outlier_factor: 3.0}   # drop samples outside 3 x IQR, per side
  - {name: errors, kind: count, exposure: requests, critical: true, group: errors}
  - {name: auth_denied_rate, kind: security_rate, numerator: http_401_403, denominator: requests}
```
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from secloop.core.errors import ConfigError, InputError, place_of
from secloop.release.canary.model import (
    Check,
    Direction,
    JudgeConfig,
    Kind,
    MetricSpec,
    NanStrategy,
    OutlierStrategy,
    TrafficSplit,
)
from secloop.sources.yaml_lines import YamlMap, load_yaml

_TOP = {
    "baseline",
    "canary",
    "mode",
    "thresholds",
    "groups",
    "traffic",
    "metrics",
    "nodata",
    "confidence",
    "prometheus",
    "checklist",
}
_METRIC = {
    "name",
    "kind",
    "direction",
    "allowed_increase",
    "allowed_decrease",
    "critical",
    "group",
    "weight",
    "min_samples",
    "nan_strategy",
    "confidence",
    "numerator",
    "denominator",
    "exposure",
    "variance_check",
    "allowed_spread_increase",
    "outliers",
    "outlier_factor",
}
CHECK_STATES = ("done", "pending", "failed", "n/a")
CHECKLIST = (
    "health",
    "smoke-tests",
    "db-migrations-backward-compatible",
    "rollback-path",
    "session-draining",
)
_DEFAULT_MIN = {
    Kind.CONTINUOUS: 10,
    Kind.COUNT: 1,
    Kind.SECURITY_COUNT: 1,
    Kind.RATIO: 100,
    Kind.SECURITY_RATE: 100,
}


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, message: str, line: int | None, hint: str | None = None) -> ConfigError:
        return ConfigError(message, place=place_of(self.path, line), hint=hint)

    def unknown(self, node: YamlMap, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                raise self.fail(
                    f"unknown key '{key}' in {what}",
                    node.line_of(key),
                    f"allowed: {', '.join(sorted(allowed))}",
                )

    def number(self, node: YamlMap, key: str, default: float, low: float = -math.inf) -> float:
        if key not in node:
            return default
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
            raise self.fail(f"'{key}' must be a number >= {low:g} (got {value!r})", node.line_of(key))
        return float(value)

    def text(self, node: YamlMap, key: str, default: str | None = None) -> str | None:
        if key not in node:
            return default
        value = node[key]
        if not isinstance(value, str) or not value:
            raise self.fail(f"'{key}' must be a non-empty string (got {value!r})", node.line_of(key))
        return value

    def flag(self, node: YamlMap, key: str, default: bool) -> bool:
        if key not in node:
            return default
        value = node[key]
        if not isinstance(value, bool):
            raise self.fail(f"'{key}' must be true or false (got {value!r})", node.line_of(key))
        return value

    def choice(self, node: YamlMap, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.text(node, key, default)
        if value not in options:
            raise self.fail(f"'{key}' must be one of {', '.join(options)} (got {value!r})", node.line_of(key))
        return value


def _metric(reader: _Reader, node: Any, confidence: float, line: int) -> MetricSpec:
    if not isinstance(node, YamlMap):
        raise reader.fail("each metric must be a mapping with at least 'name'", line)
    reader.unknown(node, _METRIC, "metric")
    name = reader.text(node, "name")
    if name is None:
        raise reader.fail("metric without 'name'", node.line)
    kind = Kind(reader.choice(node, "kind", tuple(k.value for k in Kind), Kind.CONTINUOUS.value))
    numerator = reader.text(node, "numerator")
    denominator = reader.text(node, "denominator")
    if kind.is_ratio and (numerator is None or denominator is None):
        raise reader.fail(
            f"metric '{name}' of kind {kind.value} needs 'numerator' and 'denominator'",
            node.line,
            "name the two count series, e.g. numerator: http_401_403, denominator: requests",
        )
    exposure = reader.text(node, "exposure")
    if exposure is not None and not kind.is_count:
        raise reader.fail(
            f"'exposure' only applies to count kinds (metric '{name}')", node.line_of("exposure")
        )
    outliers = OutlierStrategy(
        reader.choice(node, "outliers", tuple(o.value for o in OutlierStrategy), OutlierStrategy.KEEP.value)
    )
    if outliers is OutlierStrategy.REMOVE and kind is not Kind.CONTINUOUS:
        raise reader.fail(
            f"'outliers: remove' only applies to continuous metrics (metric '{name}' is {kind.value})",
            node.line_of("outliers"),
            "counts and rates are compared as totals; a spike there is a real event",
        )
    outlier_factor = reader.number(node, "outlier_factor", 3.0, 0.0)
    if outlier_factor <= 0:
        raise reader.fail(
            f"'outlier_factor' must be greater than 0 (got {outlier_factor:g})",
            node.line_of("outlier_factor"),
        )
    allowed_increase = reader.number(node, "allowed_increase", 1.0, 0.0)
    allowed_decrease = reader.number(node, "allowed_decrease", 1.0, 0.0)
    # Counts and rates are tested one-sided in the failing direction at 95%: at Kayenta's 98%,
    # 0 errors against 5 (p = 1/32) would still pass.
    conf = reader.number(node, "confidence", confidence if kind is Kind.CONTINUOUS else 0.95, 0.5)
    if conf >= 1.0:
        raise reader.fail(f"'confidence' must be below 1 (got {conf})", node.line_of("confidence"))
    return MetricSpec(
        name=name,
        kind=kind,
        direction=Direction(reader.choice(node, "direction", tuple(d.value for d in Direction), "increase")),
        allowed_increase=allowed_increase,
        allowed_decrease=allowed_decrease,
        critical=reader.flag(node, "critical", kind.is_security),
        group=reader.text(node, "group", "security" if kind.is_security else "default") or "default",
        weight=reader.number(node, "weight", 1.0, 0.0),
        min_samples=int(reader.number(node, "min_samples", _DEFAULT_MIN[kind], 0.0)),
        nan_strategy=NanStrategy(reader.choice(node, "nan_strategy", ("remove", "replace"), "remove")),
        confidence=conf,
        numerator=numerator,
        denominator=denominator,
        exposure=exposure,
        variance_check=reader.flag(node, "variance_check", kind is Kind.CONTINUOUS),
        allowed_spread_increase=reader.number(node, "allowed_spread_increase", 1.5, 0.0),
        line=node.line,
        outliers=outliers,
        outlier_factor=outlier_factor,
    )


def _traffic(reader: _Reader, node: Any, line: int) -> TrafficSplit:
    if not isinstance(node, YamlMap):
        raise reader.fail("'traffic' must be a mapping: {baseline: 90, canary: 10, metric: requests}", line)
    reader.unknown(node, {"baseline", "canary", "metric", "alpha"}, "traffic")
    base = reader.number(node, "baseline", -1.0, 0.0)
    canary = reader.number(node, "canary", -1.0, 0.0)
    if base <= 0 or canary <= 0:
        raise reader.fail("'traffic' needs positive 'baseline' and 'canary' shares", node.line)
    return TrafficSplit(base, canary, reader.text(node, "metric"), reader.number(node, "alpha", 0.001, 0.0))


def _checklist(reader: _Reader, node: Any, line: int) -> tuple[Check, ...]:
    if not isinstance(node, YamlMap):
        raise reader.fail("'checklist' must map items to done|pending|failed|n/a", line)
    checks: list[Check] = []
    for key, value in node.items():
        state, detail = value, ""
        if isinstance(value, YamlMap):
            reader.unknown(value, {"state", "detail"}, f"checklist item '{key}'")
            state = value.get("state")
            detail = str(value.get("detail", ""))
        if state not in CHECK_STATES:
            raise reader.fail(
                f"checklist item '{key}' must be one of {', '.join(CHECK_STATES)} (got {state!r})",
                node.line_of(key),
            )
        checks.append(Check(str(key), str(state), detail))
    return tuple(checks)


def parse_config(text: str, path: str) -> JudgeConfig:
    docs, skipped = load_yaml(text, path)
    if skipped is not None:
        raise ConfigError(skipped.reason, place=place_of(path, skipped.line, skipped.column))
    reader = _Reader(path)
    root = docs[0] if docs else None
    if not isinstance(root, YamlMap):
        raise reader.fail("the judge config must be a mapping with a 'metrics' list", 1)
    reader.unknown(root, _TOP, "the judge config")
    confidence = reader.number(root, "confidence", 0.98, 0.5)
    raw_metrics = root.get("metrics")
    if not isinstance(raw_metrics, list) or not raw_metrics:
        raise reader.fail("'metrics' must be a non-empty list", root.line_of("metrics"))
    metrics: list[MetricSpec] = []
    for raw in raw_metrics:
        spec = _metric(reader, raw, confidence, root.line_of("metrics"))
        if any(m.name == spec.name for m in metrics):
            raise reader.fail(f"metric '{spec.name}' declared twice", spec.line)
        metrics.append(spec)
    groups = _groups(reader, root, metrics)
    thresholds = root.get("thresholds", YamlMap(root.line))
    if not isinstance(thresholds, YamlMap):
        raise reader.fail(
            "'thresholds' must be a mapping {pass: 95, marginal: 75}", root.line_of("thresholds")
        )
    reader.unknown(thresholds, {"pass", "marginal"}, "thresholds")
    pass_at = reader.number(thresholds, "pass", 95.0, 0.0)
    marginal = reader.number(thresholds, "marginal", 75.0, 0.0)
    if not marginal <= pass_at <= 100:
        raise reader.fail("thresholds need 0 <= marginal <= pass <= 100", thresholds.line)
    prom = root.get("prometheus", YamlMap(root.line))
    if not isinstance(prom, YamlMap):
        raise reader.fail(
            "'prometheus' must be a mapping {label, baseline, canary}", root.line_of("prometheus")
        )
    reader.unknown(prom, {"label", "baseline", "canary"}, "prometheus")
    traffic = _traffic(reader, root["traffic"], root.line_of("traffic")) if "traffic" in root else None
    checklist = (
        _checklist(reader, root["checklist"], root.line_of("checklist")) if "checklist" in root else ()
    )
    return JudgeConfig(
        path=path,
        metrics=tuple(metrics),
        groups=groups,
        pass_threshold=pass_at,
        marginal_threshold=marginal,
        nodata=reader.choice(root, "nodata", ("pause", "ignore"), "pause"),
        mode=reader.choice(root, "mode", ("canary", "bluegreen"), "canary"),
        baseline=reader.text(root, "baseline"),
        canary=reader.text(root, "canary"),
        prometheus_label=reader.text(prom, "label"),
        prometheus_baseline=reader.text(prom, "baseline", "baseline") or "baseline",
        prometheus_canary=reader.text(prom, "canary", "canary") or "canary",
        traffic=traffic,
        checklist=checklist,
    )


def _groups(reader: _Reader, root: YamlMap, metrics: list[MetricSpec]) -> tuple[tuple[str, float], ...]:
    used = list(dict.fromkeys(m.group for m in metrics))
    raw = root.get("groups")
    if raw is None:
        return tuple((g, 1.0) for g in used)
    if not isinstance(raw, YamlMap):
        raise reader.fail("'groups' must map group names to weights", root.line_of("groups"))
    weights = {str(k): reader.number(raw, k, 0.0, 0.0) for k in raw}
    for metric in metrics:
        if metric.group not in weights:
            raise reader.fail(
                f"metric '{metric.name}' is in group '{metric.group}', which 'groups' does not weigh",
                metric.line,
                f"add '{metric.group}: <weight>' under groups",
            )
    return tuple((g, weights[g]) for g in weights if g in used)


def load_config(path: Path) -> JudgeConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the judge config: {exc.strerror or exc}", place=place_of(path)
        ) from None
    return parse_config(text, str(path))
