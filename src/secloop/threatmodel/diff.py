"""What changed between two versions of a threat model, and whether the change opens new high threats.

Elements are compared by kind and id (a flow by its key), so reordering and reformatting show no
change; threats by their content-addressed ids. A model can be read from a file or from git as
`git:REF:path` (through `git show`, in the current folder or --repo).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from secloop.core.enums import Severity
from secloop.core.errors import Place
from secloop.threatmodel.engine import Analysis, ThreatRecord, analyse
from secloop.threatmodel.loader import load_model, parse_model
from secloop.threatmodel.problems import ModelError, Problem
from secloop.threatmodel.rulebook import load_rulebook
from secloop.threatmodel.schema import ThreatModel

GIT_PREFIX = "git:"


def read_version(spec: str, *, today: date, repo: Path | None = None) -> Analysis:
    """A model from a path or from `git:REF:path`, analysed with secloop's rules."""
    rulebook = load_rulebook()
    if not spec.startswith(GIT_PREFIX):
        return analyse(load_model(Path(spec), rulebook.ids, display=spec), rulebook, today=today)
    ref, sep, path = spec[len(GIT_PREFIX) :].partition(":")
    if not sep or not ref or not path:
        raise ModelError(
            [Problem(Place(spec), "expected git:REF:PATH, e.g. git:origin/main:threatmodel.yaml")]
        )
    proc = subprocess.run(
        ["git", "show", f"{ref}:{path}"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ModelError(
            [Problem(Place(spec), "git show failed: " + (message[-1] if message else "no output"))]
        )
    text = proc.stdout.decode("utf-8", "replace")
    return analyse(parse_model(text, spec, rulebook.ids), rulebook, today=today)


def _elements(model: ThreatModel) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind, items in (
        ("asset", model.data_assets),
        ("actor", model.actors),
        ("component", model.components),
        ("boundary", model.trust_boundaries),
    ):
        for item in items:
            out[f"{kind}:{item.id}"] = item.model_dump(mode="json", exclude_none=True)
    for flow in model.flows:
        out[f"flow:{flow.key}"] = flow.model_dump(mode="json", exclude_none=True)
    return out


def _changed_fields(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            names += _changed_fields(a, b, f"{prefix}{key}.")
        else:
            names.append(prefix + key)
    return names


@dataclass(frozen=True)
class ThreatChange:
    id: str
    title: str
    target: str
    old_status: str
    new_status: str
    old_severity: str
    new_severity: str


@dataclass
class ModelDiff:
    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    threats_added: list[ThreatRecord] = field(default_factory=list)
    threats_removed: list[ThreatRecord] = field(default_factory=list)
    threats_changed: list[ThreatChange] = field(default_factory=list)
    newly_open: list[ThreatRecord] = field(default_factory=list)
    fail_on: Severity | None = Severity.HIGH

    @property
    def passed(self) -> bool:
        return not self.newly_open


def _open_at(t: ThreatRecord, today: date, fail_on: Severity | None) -> bool:
    return fail_on is not None and t.unresolved(today) and t.severity.at_least(fail_on)


def diff_models(old: Analysis, new: Analysis, fail_on: Severity | None = Severity.HIGH) -> ModelDiff:
    result = ModelDiff(old.loaded.path, new.loaded.path, fail_on=fail_on)
    before, after = _elements(old.loaded.model), _elements(new.loaded.model)
    result.added = sorted(set(after) - set(before))
    result.removed = sorted(set(before) - set(after))
    for key in sorted(set(before) & set(after)):
        if before[key] != after[key]:
            result.changed[key] = _changed_fields(before[key], after[key])
    old_threats = {t.id: t for t in old.threats}
    new_threats = {t.id: t for t in new.threats}
    result.threats_added = [new_threats[i] for i in sorted(set(new_threats) - set(old_threats))]
    result.threats_removed = [old_threats[i] for i in sorted(set(old_threats) - set(new_threats))]
    for ident in sorted(set(old_threats) & set(new_threats)):
        a, b = old_threats[ident], new_threats[ident]
        if (a.status, a.severity) != (b.status, b.severity):
            result.threats_changed.append(
                ThreatChange(
                    ident,
                    b.title,
                    b.target,
                    a.status.value,
                    b.status.value,
                    a.severity.value,
                    b.severity.value,
                )
            )
    result.newly_open = [
        t
        for ident, t in sorted(new_threats.items())
        if _open_at(t, new.today, fail_on)
        and not (ident in old_threats and _open_at(old_threats[ident], old.today, fail_on))
    ]
    return result


def _threat(t: ThreatRecord) -> dict[str, Any]:
    return {
        "id": t.id,
        "rule": t.rule_id,
        "title": t.title,
        "target": t.target,
        "severity": t.severity.value,
        "status": t.status.value,
    }


def render_json(d: ModelDiff) -> str:
    doc = {
        "schema": "secloop.threatmodel.diff/v1",
        "old": d.old,
        "new": d.new,
        "elements": {
            "added": d.added,
            "removed": d.removed,
            "changed": [{"element": k, "fields": v} for k, v in d.changed.items()],
        },
        "threats": {
            "added": [_threat(t) for t in d.threats_added],
            "removed": [_threat(t) for t in d.threats_removed],
            "changed": [
                {
                    "id": c.id,
                    "title": c.title,
                    "target": c.target,
                    "status": [c.old_status, c.new_status],
                    "severity": [c.old_severity, c.new_severity],
                }
                for c in d.threats_changed
            ],
        },
        "gate": {
            "passed": d.passed,
            "fail_on": d.fail_on.value if d.fail_on else "none",
            "newly_open": [t.id for t in d.newly_open],
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_text(d: ModelDiff) -> str:
    lines = [f"threat model diff: {d.old} -> {d.new}"]
    lines += [f"  + {k}" for k in d.added] + [f"  - {k}" for k in d.removed]
    lines += [f"  ~ {k}: {', '.join(v)}" for k, v in d.changed.items()]
    if not (d.added or d.removed or d.changed):
        lines.append("  no element changed")
    lines.append(
        f"threats: {len(d.threats_added)} added, {len(d.threats_removed)} removed, "
        f"{len(d.threats_changed)} changed"
    )
    lines += [
        f"  + {t.id} {t.severity.value} {t.status.value} {t.target}: {t.title}" for t in d.threats_added
    ]
    lines += [f"  - {t.id} {t.severity.value} {t.target}: {t.title}" for t in d.threats_removed]
    for c in d.threats_changed:
        status = f"{c.old_status} -> {c.new_status}" if c.old_status != c.new_status else c.new_status
        severity = (
            f"{c.old_severity} -> {c.new_severity}" if c.old_severity != c.new_severity else c.new_severity
        )
        lines.append(f"  ~ {c.id} {severity} {status} {c.target}: {c.title}")
    if d.passed:
        lines.append(
            "gate: passed (no newly open threat" + (f" at or above {d.fail_on.value})" if d.fail_on else ")")
        )
    else:
        shown = ", ".join(t.id for t in d.newly_open)
        level = d.fail_on.value if d.fail_on else "none"
        lines.append(f"gate: FAILED — {len(d.newly_open)} newly open threat(s) at or above {level}: {shown}")
    return "\n".join(lines) + "\n"
