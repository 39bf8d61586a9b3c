"""Cross-references of a schema-valid model: ids unique, references resolve, statuses complete."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from typing import Any

from secloop.core.errors import Place
from secloop.threatmodel.problems import Problem
from secloop.threatmodel.schema import ThreatModel, ThreatStatus
from secloop.threatmodel.yamlnodes import Mark, locate, mark_of

SECTION_KIND = {
    "data_assets": "asset",
    "actors": "actor",
    "components": "component",
    "trust_boundaries": "boundary",
    "flows": "flow",
}


def element_index(model: ThreatModel) -> dict[str, str]:
    """Every referable id -> its element key ("component:web", "flow:web->db", ...)."""
    index: dict[str, str] = {}
    for asset in model.data_assets:
        index.setdefault(asset.id, f"asset:{asset.id}")
    for actor in model.actors:
        index.setdefault(actor.id, f"actor:{actor.id}")
    for component in model.components:
        index.setdefault(component.id, f"component:{component.id}")
    for boundary in model.trust_boundaries:
        index.setdefault(boundary.id, f"boundary:{boundary.id}")
    for flow in model.flows:
        index.setdefault(flow.key, f"flow:{flow.key}")
    return index


class _Checker:
    def __init__(self, model: ThreatModel, root: Any, path: str) -> None:
        self.model = model
        self.root = root
        self.path = path
        self.problems: list[Problem] = []

    def at(self, *loc: str | int) -> Place:
        node, _, _ = locate(self.root, loc)
        mark = mark_of(node)
        return Place(self.path, mark.line, mark.column)

    def add(self, loc: tuple[str | int, ...], message: str, expected: str | None, hint: str | None) -> None:
        self.problems.append(Problem(self.at(*loc), message, expected, hint))

    def unknown(self, loc: tuple[str | int, ...], what: str, ref: str, choices: Iterable[str]) -> None:
        options = sorted(choices)
        close = difflib.get_close_matches(ref, options, n=1, cutoff=0.6)
        shown = ", ".join(options[:12]) + (", …" if len(options) > 12 else "")
        self.add(
            loc,
            f"{_where(loc)}: no {what} has the id '{ref}'",
            f"the id of a {what}" + (f" ({shown})" if options else ""),
            f"did you mean '{close[0]}'?" if close else f"declare the {what} or fix the reference",
        )


def _where(loc: tuple[str | int, ...]) -> str:
    text = ""
    for seg in loc:
        text += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if text else seg)
    return text


def check_references(
    model: ThreatModel, root: Any, path: str, known_rules: Collection[str]
) -> tuple[dict[str, Mark], list[Problem]]:
    c = _Checker(model, root, path)
    marks = _marks(model, root)
    _unique_ids(c)
    index = element_index(model)
    endpoints = {a.id for a in model.actors} | {x.id for x in model.components}
    assets = {a.id for a in model.data_assets}
    for i, component in enumerate(model.components):
        for j, ref in enumerate(component.data):
            if ref not in assets:
                c.unknown(("components", i, "data", j), "data asset", ref, assets)
    for i, flow in enumerate(model.flows):
        for side in ("source", "destination"):
            ref = getattr(flow, side)
            if ref not in endpoints:
                c.unknown(("flows", i, side), "component or actor", ref, endpoints)
        for j, ref in enumerate(flow.data):
            if ref not in assets:
                c.unknown(("flows", i, "data", j), "data asset", ref, assets)
    _boundaries(c, endpoints)
    _threats(c, index, known_rules)
    for i, asset in enumerate(model.data_assets):
        if asset.privacy.special_category and not asset.privacy.pii:
            c.add(
                ("data_assets", i, "privacy", "special_category"),
                f"data_assets[{i}].privacy: special-category data is personal data",
                "pii: true when special_category: true",
                "set pii: true",
            )
    return marks, c.problems


def _marks(model: ThreatModel, root: Any) -> dict[str, Mark]:
    marks: dict[str, Mark] = {}
    for section, kind in SECTION_KIND.items():
        items = getattr(model, section)
        for i, item in enumerate(items):
            node, _, found = locate(root, (section, i))
            if found:
                key = item.key if kind == "flow" else item.id
                marks.setdefault(f"{kind}:{key}", mark_of(node))
    for path, key in ((("system", "scope"), "system:scope"), (("threats",), "section:threats")):
        node, key_node, found = locate(root, path)
        if found:
            marks[key] = mark_of(key_node if key_node is not None else node)
    for section, kind in (("threats", "threat"), ("assumptions", "assumption")):
        for i in range(len(getattr(model, section))):
            node, _, found = locate(root, (section, i))
            if found:
                marks[f"{kind}:{i}"] = mark_of(node)
    return marks


def _unique_ids(c: _Checker) -> None:
    entries: list[tuple[int, int, str, tuple[str | int, ...], bool, Any]] = []
    for section in SECTION_KIND:
        for i, item in enumerate(getattr(c.model, section)):
            explicit = section != "flows" or item.id is not None
            loc: tuple[str | int, ...] = (section, i, "id") if explicit else (section, i)
            place = c.at(*loc)
            key = item.key if section == "flows" else item.id
            entries.append((place.line or 0, place.column or 0, key, loc, explicit, item))
    seen: dict[str, int] = {}
    for line, _, key, loc, explicit, item in sorted(entries, key=lambda e: (e[0], e[1])):
        if key not in seen:
            seen[key] = line
            continue
        if explicit:
            message = f"{_where(loc)}: the id '{key}' is already used (line {seen[key]})"
            hint = "ids are shared by assets, actors, components, boundaries and flows"
        else:
            message = (
                f"{_where(loc)}: a second flow from '{item.source}' to '{item.destination}' "
                f"(the first is at line {seen[key]})"
            )
            hint = "give each of these flows an 'id:'"
        c.add(loc, message, "a unique id", hint)
    for section in ("threats", "assumptions"):
        ids: dict[str, int] = {}
        for i, item in enumerate(getattr(c.model, section)):
            if item.id is None:
                continue
            if item.id in ids:
                c.add(
                    (section, i, "id"),
                    f"{section}[{i}]: the id '{item.id}' is already used by {section}[{ids[item.id]}]",
                    "a unique id",
                    None,
                )
            ids.setdefault(item.id, i)


def _boundaries(c: _Checker, endpoints: set[str]) -> None:
    boundaries = {b.id: b for b in c.model.trust_boundaries}
    member_of: dict[str, str] = {}
    for i, boundary in enumerate(c.model.trust_boundaries):
        if boundary.parent is not None and boundary.parent not in boundaries:
            c.unknown(("trust_boundaries", i, "parent"), "trust boundary", boundary.parent, boundaries)
        for j, ref in enumerate(boundary.components):
            if ref not in endpoints:
                c.unknown(("trust_boundaries", i, "components", j), "component or actor", ref, endpoints)
            elif ref in member_of:
                c.add(
                    ("trust_boundaries", i, "components", j),
                    f"trust_boundaries[{i}]: '{ref}' is already inside the boundary '{member_of[ref]}'",
                    "each component in at most one boundary (nest boundaries with 'parent:')",
                    "list it only in its innermost boundary",
                )
            else:
                member_of[ref] = boundary.id
    for i, boundary in enumerate(c.model.trust_boundaries):
        seen = {boundary.id}
        parent = boundary.parent
        while parent is not None and parent in boundaries:
            if parent in seen:
                c.add(
                    ("trust_boundaries", i, "parent"),
                    f"trust_boundaries[{i}]: the boundary '{boundary.id}' is nested inside itself",
                    "parents that form a tree",
                    "remove one 'parent:' of the cycle",
                )
                break
            seen.add(parent)
            parent = boundaries[parent].parent


def _threats(c: _Checker, index: dict[str, str], known_rules: Collection[str]) -> None:
    pairs: dict[tuple[str, str], int] = {}
    for i, threat in enumerate(c.model.threats):
        loc: tuple[str | int, ...] = ("threats", i)
        if threat.target not in index:
            c.unknown((*loc, "target"), "element", threat.target, index)
        if threat.rule is not None:
            if threat.id is not None:
                c.add(
                    (*loc, "id"),
                    f"threats[{i}]: a threat that answers a rule takes its id from the rule and the element",
                    "no 'id:' next to 'rule:'",
                    "remove 'id:'; the report shows the stable THREAT-… id to reference in tests",
                )
            if known_rules and threat.rule not in known_rules:
                close = difflib.get_close_matches(threat.rule, list(known_rules), n=1, cutoff=0.6)
                c.add(
                    (*loc, "rule"),
                    f"threats[{i}].rule: no rule has the id '{threat.rule}'",
                    "a rule id from `secloop threatmodel rules`",
                    f"did you mean '{close[0]}'?" if close else "or drop 'rule:' and describe the threat",
                )
            pair = (threat.rule, threat.target)
            if pair in pairs:
                c.add(
                    (*loc, "rule"),
                    f"threats[{i}]: {threat.rule} on '{threat.target}' is already answered by "
                    f"threats[{pairs[pair]}]",
                    "one entry per rule and element",
                    "merge the two entries",
                )
            pairs.setdefault(pair, i)
        else:
            missing = [k for k in ("title", "category", "severity") if getattr(threat, k) is None]
            if missing:
                c.add(
                    loc,
                    f"threats[{i}]: a threat without 'rule:' needs {', '.join(missing)}",
                    "title, category (STRIDE or LINDDUN) and severity",
                    "or name the rule it answers with 'rule:'",
                )
        _status(c, i, threat.status, threat.reason, threat.expires, len(threat.mitigations))


def _status(
    c: _Checker, i: int, status: ThreatStatus, reason: str | None, expires: object, mitigations: int
) -> None:
    loc: tuple[str | int, ...] = ("threats", i, "status")
    if status is ThreatStatus.ACCEPTED:
        missing = [name for name, value in (("reason", reason), ("expires", expires)) if value is None]
        if missing:
            c.add(
                loc,
                f"threats[{i}]: an accepted threat needs {' and '.join(missing)}",
                "reason: why the risk is accepted; expires: YYYY-MM-DD when to decide again",
                "risk acceptance must say why and until when",
            )
    elif status in (ThreatStatus.TRANSFERRED, ThreatStatus.NOT_APPLICABLE) and reason is None:
        c.add(
            loc,
            f"threats[{i}]: a {status.value} threat needs a reason",
            "reason: to whom it is transferred, or why it does not apply",
            None,
        )
    elif status is ThreatStatus.MITIGATED and mitigations == 0:
        c.add(
            loc,
            f"threats[{i}]: a mitigated threat needs at least one mitigation",
            "mitigations: [{description: …, tests: [path::test]}]",
            "list what mitigates it and the tests that verify it",
        )
