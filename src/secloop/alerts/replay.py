"""Replay a Prometheus rule file on recorded metrics and score each alert against labelled incidents.

Every group is evaluated at each step, in file order and rule order, so a recording is visible to
the alerts that follow it at the same instant (Prometheus evaluates groups independently; here an
alert may see a recording up to one interval earlier than it would in Prometheus). Alerts follow
Prometheus' states: pending while the expression holds for less than `for:`, then firing, resolved
at the first evaluation where the expression returns nothing for that label set.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secloop.alerts.evaluate import Evaluator, Labels, Store
from secloop.alerts.promql import Expr, PromQLError, parse, parse_duration
from secloop.core.errors import InputError, place_of
from secloop.sources.yaml_lines import YamlMap, load_yaml


@dataclass(frozen=True, slots=True)
class RuleSpec:
    group: str
    name: str  # the recorded metric or the alert name
    is_alert: bool
    expr: Expr
    for_s: float
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]
    line: int


@dataclass(frozen=True, slots=True)
class Incident:
    name: str
    start: float
    end: float
    alerts: tuple[str, ...]  # empty: every alert should catch it


@dataclass(frozen=True, slots=True)
class Episode:
    """One alert instance (label set) from firing to resolution; end None means still firing."""

    alert: str
    labels: Labels
    annotations: tuple[tuple[str, str], ...]
    active_at: float
    fired_at: float
    end: float | None


@dataclass(frozen=True, slots=True)
class AlertScore:
    alert: str
    severity: str
    intervals: tuple[tuple[float, float | None], ...]
    incidents: int
    detected: int
    true_intervals: int
    precision: float | None  # None when the alert never fired
    recall: float | None  # None when no incident concerns this alert
    detection_s: tuple[float, ...]
    reset_s: tuple[float | None, ...]


@dataclass
class _State:
    active_at: float
    fired_at: float | None = None


@dataclass
class Replay:
    start: float
    end: float
    step: float
    evaluations: int = 0
    episodes: list[Episode] = field(default_factory=list)


def _fail(path: str, line: int | None, message: str, hint: str | None = None) -> InputError:
    return InputError(message, place=place_of(path, line), hint=hint)


def _pairs(node: Any, path: str, line: int, what: str) -> tuple[tuple[str, str], ...]:
    if node is None:
        return ()
    if not isinstance(node, YamlMap):
        raise _fail(path, line, f"{what} must be a mapping")
    return tuple(sorted((str(k), str(v)) for k, v in node.items()))


def load_rules(text: str, path: str) -> list[RuleSpec]:
    """The rules of a Prometheus rule file; an unsupported expression is an error naming the rule."""
    docs, skipped = load_yaml(text, path)
    if skipped is not None:
        raise InputError(skipped.reason, place=place_of(path, skipped.line, skipped.column))
    root = docs[0] if docs else None
    if not isinstance(root, YamlMap) or not isinstance(root.get("groups"), list):
        raise _fail(path, 1, "not a Prometheus rule file: no `groups:` list")
    rules: list[RuleSpec] = []
    for group in root["groups"]:
        if not isinstance(group, YamlMap) or not isinstance(group.get("rules"), list):
            raise _fail(path, root.line_of("groups"), "each group needs `name` and a `rules` list")
        for rule in group["rules"]:
            if not isinstance(rule, YamlMap):
                raise _fail(path, group.line_of("rules"), "each rule must be a mapping")
            is_alert = "alert" in rule
            name = str(rule.get("alert") if is_alert else rule.get("record") or "")
            if not name or not isinstance(rule.get("expr"), str | int | float):
                raise _fail(path, rule.line, "a rule needs `record` or `alert`, and `expr`")
            try:
                expr = parse(str(rule["expr"]))
                for_s = parse_duration(str(rule["for"])) if "for" in rule else 0.0
            except PromQLError as exc:
                kind = "alert" if is_alert else "recording rule"
                raise _fail(
                    path,
                    rule.line_of("expr"),
                    f"{kind} {name!r}: {exc}",
                    "`secloop alerts replay` supports the PromQL subset listed in its --help",
                ) from None
            rules.append(
                RuleSpec(
                    group=str(group.get("name", "")),
                    name=name,
                    is_alert=is_alert,
                    expr=expr,
                    for_s=for_s,
                    labels=_pairs(rule.get("labels"), path, rule.line_of("labels"), "`labels`"),
                    annotations=_pairs(
                        rule.get("annotations"), path, rule.line_of("annotations"), "`annotations`"
                    ),
                    line=rule.line,
                )
            )
    return rules


def _time(value: Any, where: str) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    raise ValueError(f"{where}: not a time (use RFC 3339 such as 2026-01-01T00:00:00Z, or Unix seconds)")


def load_metrics(text: str, path: str) -> Store:
    """Recorded samples: Prometheus range-query JSON (`data.result[].values`) or secloop's compact
    form `{"start": T, "step": "15s", "series": [{"metric": {...}, "values": [v, null, ...]}]}`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, exc.lineno, f"not valid JSON: {exc.msg}") from None
    store = Store()
    try:
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            for item in data["data"].get("result", []):
                series = store.series(tuple(sorted(item["metric"].items())))
                for stamp, raw in item["values"]:
                    series.add(float(stamp), float(raw))
        elif isinstance(data, dict) and "series" in data:
            start = _time(data["start"], "start")
            step = parse_duration(str(data["step"])) if isinstance(data["step"], str) else float(data["step"])
            for item in data["series"]:
                series = store.series(tuple(sorted((str(k), str(v)) for k, v in item["metric"].items())))
                for index, raw in enumerate(item["values"]):
                    if raw is not None:
                        series.add(start + index * step, float(raw))
        else:
            raise ValueError("expected Prometheus range-query JSON or an object with start, step and series")
    except (KeyError, TypeError, ValueError, PromQLError) as exc:
        hint = "see `secloop alerts replay --help` for the two accepted formats"
        raise _fail(path, None, f"malformed metrics: {exc}", hint) from None
    if store.time_range() is None:
        raise _fail(path, None, "the metrics file holds no samples")
    return store


def load_incidents(text: str, path: str) -> list[Incident]:
    docs, skipped = load_yaml(text, path)
    if skipped is not None:
        raise InputError(skipped.reason, place=place_of(path, skipped.line, skipped.column))
    root = docs[0] if docs else None
    items = root.get("incidents") if isinstance(root, YamlMap) else None
    if not isinstance(items, list) or not isinstance(root, YamlMap):
        raise _fail(path, 1, "an incidents file needs an `incidents:` list")
    out: list[Incident] = []
    for index, item in enumerate(items, 1):
        if not isinstance(item, YamlMap):
            raise _fail(path, root.line_of("incidents"), "each incident must be a mapping")
        try:
            start, end = _time(item.get("start"), "start"), _time(item.get("end"), "end")
        except ValueError as exc:
            raise _fail(path, item.line, str(exc)) from None
        if end <= start:
            raise _fail(path, item.line_of("end"), "an incident must end after it starts")
        alerts = item.get("alerts", [])
        if not isinstance(alerts, list):
            raise _fail(path, item.line_of("alerts"), "`alerts` must be a list of alert names")
        out.append(Incident(str(item.get("name", f"incident-{index}")), start, end, tuple(map(str, alerts))))
    return out


_TEMPLATE = re.compile(r"\{\{\s*(\$value|\$labels\.([a-zA-Z_][a-zA-Z0-9_]*))\s*\}\}")


def _expand(text: str, labels: dict[str, str], value: float) -> str:
    def sub(match: re.Match[str]) -> str:
        return f"{value:g}" if match.group(2) is None else labels.get(match.group(2), "")

    return _TEMPLATE.sub(sub, text)


def replay(rules: list[RuleSpec], store: Store, step: float, end: float | None = None) -> Replay:
    span = store.time_range()
    assert span is not None
    start, last = span[0], end if end is not None else span[1]
    result = Replay(start, last, step)
    evaluator = Evaluator(store)
    states: dict[tuple[int, Labels], _State] = {}
    recorded: dict[int, set[Labels]] = {}
    fired: dict[tuple[int, Labels], tuple[float, float, tuple[tuple[str, str], ...]]] = {}
    steps = math.floor((last - start) / step) + 1
    for index in range(steps):
        now = start + index * step
        result.evaluations += 1
        for number, rule in enumerate(rules):
            try:
                value = evaluator.instant(rule.expr, now)
            except PromQLError as exc:
                raise InputError(f"rule {rule.name!r} (line {rule.line}): {exc}") from None
            vector: dict[Labels, float] = {(): value} if isinstance(value, float) else value
            if not rule.is_alert:
                _record(store, rule, number, vector, now, recorded)
                continue
            seen: set[Labels] = set()
            for labels, sample in vector.items():
                merged = dict(labels)
                merged.pop("__name__", None)
                merged.update(rule.labels)
                merged["alertname"] = rule.name
                key_labels = tuple(sorted(merged.items()))
                seen.add(key_labels)
                state = states.setdefault((number, key_labels), _State(now))
                if state.fired_at is None and now - state.active_at >= rule.for_s:
                    state.fired_at = now
                    notes = tuple((k, _expand(v, merged, sample)) for k, v in rule.annotations)
                    fired[(number, key_labels)] = (state.active_at, now, notes)
            for key in [k for k in states if k[0] == number and k[1] not in seen]:
                state = states.pop(key)
                if state.fired_at is not None:
                    active, at, notes = fired.pop(key)
                    result.episodes.append(Episode(rule.name, key[1], notes, active, at, now))
    for (number, labels), (active, at, notes) in sorted(fired.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        result.episodes.append(Episode(rules[number].name, labels, notes, active, at, None))
    result.episodes.sort(key=lambda e: (e.fired_at, e.alert, e.labels))
    return result


def _record(
    store: Store,
    rule: RuleSpec,
    number: int,
    vector: dict[Labels, float],
    now: float,
    recorded: dict[int, set[Labels]],
) -> None:
    written: set[Labels] = set()
    for labels, sample in vector.items():
        merged = dict(labels)
        merged.update(rule.labels)
        merged["__name__"] = rule.name
        key = tuple(sorted(merged.items()))
        store.series(key).add(now, sample)
        written.add(key)
    for key in recorded.get(number, set()) - written:
        store.series(key).add(now, None)  # a staleness marker, as Prometheus writes
    recorded[number] = written


def _merge(intervals: list[tuple[float, float | None]]) -> list[tuple[float, float | None]]:
    out: list[tuple[float, float | None]] = []
    for start, end in sorted(intervals, key=lambda i: i[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            prev_start, prev_end = out[-1]
            out[-1] = (prev_start, None if end is None or prev_end is None else max(prev_end, end))
        else:
            out.append((start, end))
    return out


def score(rules: list[RuleSpec], result: Replay, incidents: list[Incident]) -> list[AlertScore]:
    """Per alert rule: fired intervals, precision, recall, detection and reset times."""
    scores: list[AlertScore] = []
    for rule in (r for r in rules if r.is_alert):
        intervals = _merge([(e.fired_at, e.end) for e in result.episodes if e.alert == rule.name])
        mine = [i for i in incidents if not i.alerts or rule.name in i.alerts]
        every = incidents  # an interval overlapping any labelled incident is not a false alarm
        true_intervals = sum(
            1 for s, e in intervals if any(s < inc.end and (e is None or e > inc.start) for inc in every)
        )
        detection: list[float] = []
        reset: list[float | None] = []
        for inc in mine:
            hits = [(s, e) for s, e in intervals if s < inc.end and (e is None or e > inc.start)]
            if hits:
                detection.append(max(0.0, hits[0][0] - inc.start))
                last_end = hits[-1][1]
                reset.append(None if last_end is None else max(0.0, last_end - inc.end))
        severity = dict(rule.labels).get("severity", "")
        scores.append(
            AlertScore(
                alert=rule.name,
                severity=severity,
                intervals=tuple(intervals),
                incidents=len(mine),
                detected=len(detection),
                true_intervals=true_intervals,
                precision=true_intervals / len(intervals) if intervals else None,
                recall=len(detection) / len(mine) if mine else None,
                detection_s=tuple(detection),
                reset_s=tuple(reset),
            )
        )
    return scores


def load_files(rules_path: Path, metrics_path: Path) -> tuple[list[RuleSpec], Store]:
    texts = []
    for item in (rules_path, metrics_path):
        try:
            texts.append(item.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read: {exc}", place=place_of(item)) from None
    return load_rules(texts[0], str(rules_path)), load_metrics(texts[1], str(metrics_path))
