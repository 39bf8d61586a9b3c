"""The SLO file: a service, its owning team and its SLOs, read with line numbers.

Three kinds of SLI turn into one pair of queries (errors, total) with a `{{window}}` placeholder:
`events` (written by hand), `latency` (a histogram's threshold bucket) and `security` (events of
secloop's own exporter, `secloop_security_events_total`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, place_of
from secloop.sources.yaml_lines import YamlMap, load_yaml

WINDOW = "{{window}}"
SECURITY_METRIC = "secloop_security_events_total"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_NAME_HINT = "must be lower-case letters, digits, - or _"
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_PERIOD = re.compile(r"^(\d+)d$")
_TOP_KEYS = {"version", "service", "team", "labels", "slos"}
_SLO_KEYS = {"name", "objective", "window", "description", "sli", "labels", "runbook", "alert_name"}


@dataclass(frozen=True, slots=True)
class Slo:
    name: str
    objective: Decimal  # percent, e.g. 99.9
    window_days: int
    description: str
    kind: str  # events | latency | security
    errors: str  # PromQL with the {{window}} placeholder
    total: str
    labels: tuple[tuple[str, str], ...]
    runbook: str | None
    alert_name: str
    line: int

    @property
    def error_budget(self) -> Decimal:
        return (Decimal(100) - self.objective) / Decimal(100)


@dataclass(frozen=True, slots=True)
class SloFile:
    path: str
    service: str
    team: str
    labels: tuple[tuple[str, str], ...]
    slos: tuple[Slo, ...]


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, line: int | None, message: str, hint: str | None = None) -> InputError:
        return InputError(message, place=place_of(self.path, line), hint=hint)

    def mapping(self, node: Any, line: int, what: str) -> YamlMap:
        if not isinstance(node, YamlMap):
            raise self.fail(line, f"{what} must be a mapping")
        return node

    def known(self, node: YamlMap, keys: set[str], what: str) -> None:
        for key in node:
            if key not in keys:
                raise self.fail(
                    node.line_of(key), f"unknown key {key!r} in {what}", f"use: {', '.join(sorted(keys))}"
                )

    def text(self, node: YamlMap, key: str, what: str, *, required: bool = True) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                raise self.fail(node.line, f"{what} needs `{key}`")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node.line_of(key), f"`{key}` of {what} must be a non-empty string")
        return value.strip()

    def labels(self, node: YamlMap, what: str) -> tuple[tuple[str, str], ...]:
        value = node.get("labels")
        if value is None:
            return ()
        labels = self.mapping(value, node.line_of("labels"), f"`labels` of {what}")
        out: list[tuple[str, str]] = []
        for key, item in labels.items():
            if not isinstance(key, str) or not _LABEL.match(key):
                raise self.fail(labels.line_of(key), f"label name {key!r} is not a Prometheus label name")
            if key in {"team", "service", "severity"} or key.startswith("secloop_"):
                raise self.fail(labels.line_of(key), f"label {key!r} is set by secloop itself")
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise self.fail(labels.line_of(key), f"label {key!r} must be a string")
            out.append((key, str(item)))
        return tuple(sorted(out))


def _camel(*words: str) -> str:
    return "".join(part.capitalize() for word in words for part in re.split(r"[-_]", word) if part)


def _events_sli(reader: _Reader, node: YamlMap, what: str) -> tuple[str, str]:
    errors = reader.text(node, "errors", what)
    total = reader.text(node, "total", what)
    assert errors is not None and total is not None
    for key, query in (("errors", errors), ("total", total)):
        if WINDOW not in query:
            raise reader.fail(
                node.line_of(key),
                f"`{key}` of {what} has no {WINDOW} placeholder",
                "write the range of rate() as [{{window}}], e.g. rate(http_requests_total[{{window}}])",
            )
    return errors, total


def _selector(reader: _Reader, node: YamlMap, what: str) -> str:
    selector = reader.text(node, "selector", what, required=False) or ""
    selector = selector.strip().removeprefix("{").removesuffix("}").strip()
    if any(ch in selector for ch in "{}[]"):
        raise reader.fail(node.line_of("selector"), f"`selector` of {what} must be label matchers only")
    return selector


def _latency_sli(reader: _Reader, node: YamlMap, what: str) -> tuple[str, str]:
    metric = reader.text(node, "metric", what)
    assert metric is not None
    threshold = node.get("threshold")
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or threshold <= 0:
        raise reader.fail(
            node.line_of("threshold"), f"`threshold` of {what} must be a positive number of seconds"
        )
    sel = _selector(reader, node, what)
    base = metric.removesuffix("_bucket").removesuffix("_count")
    joined = f"{sel}," if sel else ""
    total = f"sum(rate({base}_count{{{sel}}}[{WINDOW}]))"
    good = f'sum(rate({base}_bucket{{{joined}le="{threshold}"}}[{WINDOW}]))'
    return f"({total} - {good})", total


def _event_names(reader: _Reader, node: YamlMap, key: str, default: list[str]) -> str:
    value = node.get(key, default)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise reader.fail(node.line_of(key), f"`{key}` must be an event name or a list of event names")
    return "|".join(sorted(value))


def _security_sli(reader: _Reader, node: YamlMap, what: str) -> tuple[str, str]:
    reader.known(node, {"bad", "total", "source"}, what)
    bad = _event_names(reader, node, "bad", ["authn_login_fail"])
    total = _event_names(reader, node, "total", ["authn_.*"])
    source = reader.text(node, "source", what, required=False)
    extra = f',source="{source}"' if source else ""
    metric = SECURITY_METRIC
    return (
        f'sum(rate({metric}{{event=~"{bad}"{extra}}}[{WINDOW}]))',
        f'sum(rate({metric}{{event=~"{total}"{extra}}}[{WINDOW}]))',
    )


_KINDS = {"events": _events_sli, "latency": _latency_sli, "security": _security_sli}


def _objective(reader: _Reader, node: YamlMap) -> Decimal:
    value = node.get("objective")
    try:
        objective = Decimal(str(value)) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        objective = None
    if objective is None or isinstance(value, bool) or not Decimal(0) < objective < Decimal(100):
        raise reader.fail(
            node.line_of("objective"), "`objective` must be a percentage between 0 and 100, e.g. 99.9"
        )
    return objective


def _slo(reader: _Reader, node: Any, line: int, service: str) -> Slo:
    item = reader.mapping(node, line, "an SLO")
    reader.known(item, _SLO_KEYS, "an SLO")
    name = reader.text(item, "name", "an SLO")
    assert name is not None
    if not _NAME.match(name):
        raise reader.fail(
            item.line_of("name"), f"SLO name {name!r} must be lower-case letters, digits, - or _"
        )
    what = f"SLO {name!r}"
    window = item.get("window", "30d")
    match = _PERIOD.match(str(window))
    if not match or not 1 <= int(match.group(1)) <= 90:
        raise reader.fail(item.line_of("window"), f"`window` of {what} must be a number of days such as 30d")
    sli = reader.mapping(item.get("sli"), item.line_of("sli"), f"`sli` of {what}")
    kinds = [k for k in sli if k in _KINDS]
    if len(kinds) != 1 or len(sli) != 1:
        raise reader.fail(sli.line, f"`sli` of {what} needs exactly one of: {', '.join(_KINDS)}")
    kind = str(kinds[0])
    body = reader.mapping(sli[kind], sli.line_of(kind), f"`sli.{kind}` of {what}")
    errors, total = _KINDS[kind](reader, body, f"`sli.{kind}` of {what}")
    alert_name = reader.text(item, "alert_name", what, required=False) or _camel(service, name)
    return Slo(
        name=name,
        objective=_objective(reader, item),
        window_days=int(match.group(1)),
        description=reader.text(item, "description", what, required=False) or f"{name} of {service}",
        kind=kind,
        errors=errors,
        total=total,
        labels=reader.labels(item, what),
        runbook=reader.text(item, "runbook", what, required=False),
        alert_name=alert_name,
        line=item.line,
    )


def parse_slo_file(text: str, path: str) -> SloFile:
    """The SLO file, or an `InputError` naming the file and line of the first problem."""
    reader = _Reader(path)
    docs, skipped = load_yaml(text, path)
    if skipped is not None:
        raise InputError(skipped.reason, place=place_of(path, skipped.line, skipped.column))
    if len(docs) != 1:
        raise reader.fail(1, "an SLO file holds exactly one YAML document")
    root = reader.mapping(docs[0], 1, "the SLO file")
    reader.known(root, _TOP_KEYS, "the SLO file")
    version = root.get("version", 1)
    if version != 1:
        raise reader.fail(root.line_of("version"), f"unsupported version {version!r}", "use version: 1")
    service = reader.text(root, "service", "the SLO file")
    team = reader.text(root, "team", "the SLO file", required=False)
    if team is None:
        raise reader.fail(root.line, "the SLO file needs `team`", "name the team that owns the service")
    assert service is not None
    for key, value in (("service", service), ("team", team)):
        if not _NAME.match(value):
            raise reader.fail(
                root.line_of(key), f"`{key}` {value!r} must be lower-case letters, digits, - or _"
            )
    raw = root.get("slos")
    if not isinstance(raw, list) or not raw:
        raise reader.fail(root.line_of("slos"), "`slos` must be a non-empty list")
    slos = [_slo(reader, node, root.line_of("slos"), service) for node in raw]
    seen: dict[str, int] = {}
    for slo in slos:
        if slo.name in seen:
            raise reader.fail(slo.line, f"SLO {slo.name!r} is declared twice (line {seen[slo.name]})")
        seen[slo.name] = slo.line
    return SloFile(path, service, team, reader.labels(root, "the SLO file"), tuple(slos))


def load_slo_file(path: Path, display: str | None = None) -> SloFile:
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the SLO file: {exc}", place=place_of(shown)) from None
    return parse_slo_file(text, shown)
