"""The data-flow diagram: Mermaid and Graphviz DOT, trust boundaries drawn as (nested) subgraphs.

Flows with an open high or critical threat are drawn in red.
"""

from __future__ import annotations

import re
from collections import defaultdict

from secloop.core.enums import Severity
from secloop.threatmodel.engine import Analysis
from secloop.threatmodel.schema import ComponentKind, ThreatModel

_MERMAID_SHAPE = {
    ComponentKind.PROCESS: ('("', '")'),
    ComponentKind.DATA_STORE: ('[("', '")]'),
    ComponentKind.EXTERNAL_ENTITY: ('["', '"]'),
}
_DOT_SHAPE = {
    ComponentKind.PROCESS: "ellipse",
    ComponentKind.DATA_STORE: "cylinder",
    ComponentKind.EXTERNAL_ENTITY: "box",
}


def _sid(prefix: str, ident: str) -> str:
    return prefix + re.sub(r"\W", "_", ident)


def _node_ids(model: ThreatModel) -> dict[str, str]:
    ids: dict[str, str] = {}
    used: set[str] = set()
    for ident in [a.id for a in model.actors] + [c.id for c in model.components]:
        base = _sid("n_", ident)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        ids[ident] = name
    return ids


def _members(model: ThreatModel) -> tuple[dict[str | None, list[str]], dict[str | None, list[str]]]:
    """Elements directly inside each boundary (None: outside all), and child boundaries of each."""
    inside: dict[str | None, list[str]] = defaultdict(list)
    placed: set[str] = set()
    for b in model.trust_boundaries:
        for member in b.components:
            if member not in placed:
                inside[b.id].append(member)
                placed.add(member)
    for ident in [a.id for a in model.actors] + [c.id for c in model.components]:
        if ident not in placed:
            inside[None].append(ident)
    children: dict[str | None, list[str]] = defaultdict(list)
    for b in model.trust_boundaries:
        children[b.parent].append(b.id)
    return inside, children


def _flow_label(protocol: str | None, name: str | None) -> str:
    return " ".join(part for part in (name, f"[{protocol}]" if protocol else None) if part)


def _hot_flows(analysis: Analysis) -> set[str]:
    return {t.target for t in analysis.unmitigated(Severity.HIGH) if t.target_kind == "flow"}


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(analysis: Analysis) -> str:
    model = analysis.loaded.model
    ids = _node_ids(model)
    names = {a.id: a.name or a.id for a in model.actors} | {c.id: c.name or c.id for c in model.components}
    kinds = {c.id: c.kind for c in model.components}
    boundaries = {b.id: b for b in model.trust_boundaries}
    inside, children = _members(model)
    lines = ["flowchart LR"]

    def node(ident: str, indent: str) -> str:
        kind = kinds.get(ident, ComponentKind.EXTERNAL_ENTITY)
        left, right = _MERMAID_SHAPE[kind]
        return f"{indent}{ids[ident]}{left}{_mermaid_text(names[ident])}{right}"

    def boundary(bid: str, depth: int) -> None:
        indent = "  " * depth
        b = boundaries[bid]
        lines.append(f'{indent}subgraph {_sid("b_", bid)}["{_mermaid_text(b.name or b.id)}"]')
        lines.extend(node(m, indent + "  ") for m in inside[bid])
        for child in children[bid]:
            boundary(child, depth + 1)
        lines.append(f"{indent}end")

    for bid in children[None]:
        boundary(bid, 1)
    lines.extend(node(m, "  ") for m in inside[None])
    hot = _hot_flows(analysis)
    red: list[int] = []
    for n, flow in enumerate(model.flows):
        label = _flow_label(flow.protocol, flow.name or flow.id)
        arrow = f'-->|"{_mermaid_text(label)}"|' if label else "-->"
        lines.append(f"  {ids[flow.source]} {arrow} {ids[flow.destination]}")
        if flow.key in hot:
            red.append(n)
    lines.append("  classDef boundary stroke:#c00,stroke-dasharray:5 5")
    lines += [f"  class {_sid('b_', b.id)} boundary" for b in model.trust_boundaries]
    if red:
        lines.append(f"  linkStyle {','.join(map(str, red))} stroke:#c00,stroke-width:2px")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(analysis: Analysis) -> str:
    model = analysis.loaded.model
    names = {a.id: a.name or a.id for a in model.actors} | {c.id: c.name or c.id for c in model.components}
    kinds = {c.id: c.kind for c in model.components}
    boundaries = {b.id: b for b in model.trust_boundaries}
    inside, children = _members(model)
    lines = [
        f"digraph {_dot_text(model.system.name)} {{",
        "  rankdir=LR;",
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]

    def node(ident: str, indent: str) -> str:
        shape = _DOT_SHAPE[kinds.get(ident, ComponentKind.EXTERNAL_ENTITY)]
        return f"{indent}{_dot_text(ident)} [label={_dot_text(names[ident])}, shape={shape}];"

    def boundary(bid: str, depth: int) -> None:
        indent = "  " * depth
        b = boundaries[bid]
        lines.append(f"{indent}subgraph {_dot_text('cluster_' + bid)} {{")
        lines.append(f"{indent}  label={_dot_text(b.name or b.id)}; style=dashed; color=red;")
        lines.extend(node(m, indent + "  ") for m in inside[bid])
        for child in children[bid]:
            boundary(child, depth + 1)
        lines.append(f"{indent}}}")

    for bid in children[None]:
        boundary(bid, 1)
    lines.extend(node(m, "  ") for m in inside[None])
    hot = _hot_flows(analysis)
    for flow in model.flows:
        attrs = [f"label={_dot_text(_flow_label(flow.protocol, flow.name or flow.id))}"]
        if flow.key in hot:
            attrs.append("color=red")
        lines.append(f"  {_dot_text(flow.source)} -> {_dot_text(flow.destination)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_diagram(analysis: Analysis, fmt: str) -> str:
    return dot(analysis) if fmt == "dot" else mermaid(analysis)
