"""The data-flow diagram as a self-contained SVG: no Graphviz, no fonts or scripts from elsewhere.

Layout is deterministic and simple: one column per trust boundary (elements outside every boundary
first), elements stacked in model order, flows as curves with an arrowhead and a label. Flows with
an open high or critical threat are red, as in the Mermaid and DOT diagrams.
"""

from __future__ import annotations

from html import escape

from secloop.threatmodel.diagram import _flow_label, _hot_flows, _members
from secloop.threatmodel.engine import Analysis
from secloop.threatmodel.schema import ComponentKind

BOX_W, BOX_H = 170, 46
COL_W, ROW_H = 250, 96
MARGIN, TOP = 30, 60


def _shape(kind: str, x: float, y: float) -> str:
    if kind == ComponentKind.PROCESS.value:
        return f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="23" class="process"/>'
    if kind == ComponentKind.DATA_STORE.value:
        return (
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" class="store"/>'
            f'<line x1="{x}" y1="{y + 6}" x2="{x + BOX_W}" y2="{y + 6}" class="store-line"/>'
        )
    return f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" class="{kind}"/>'


def _route(
    src: tuple[float, float], dst: tuple[float, float], lane: float
) -> tuple[str, tuple[float, float]]:
    """A path from box to box that never crosses a box, and where its label goes.

    Horizontal runs use the gaps between rows (every column shares the rows), so a flow that
    spans several columns passes between boxes, not through them."""
    (sx, sy), (dx, dy) = src, dst
    if sx == dx:  # same column: loop out to the right, through the gap between columns
        x1, y1, y2 = sx + BOX_W, sy + BOX_H / 2 + lane / 2, dy + BOX_H / 2 + lane / 2
        bulge = x1 + 45 + lane
        return (
            f"M{x1:.0f},{y1:.0f} C{bulge:.0f},{y1:.0f} {bulge:.0f},{y2:.0f} {x1:.0f},{y2:.0f}",
            (bulge + 4, (y1 + y2) / 2),
        )
    sign = 1 if dx > sx else -1
    x1 = sx + BOX_W if sign > 0 else sx
    x2 = dx if sign > 0 else dx + BOX_W
    y1, y2 = sy + BOX_H / 2 + lane / 2, dy + BOX_H / 2 + lane / 2
    if sy == dy and abs(dx - sx) == COL_W:  # neighbours on one row: straight across
        return f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}", ((x1 + x2) / 2, y1 - 5)
    gap = sy + BOX_H + (ROW_H - BOX_H) / 2 + lane
    a, b = x1 + sign * 30, x2 - sign * 30
    path = (
        f"M{x1:.0f},{y1:.0f} C{x1 + sign * 25:.0f},{y1:.0f} {x1 + sign * 5:.0f},{gap:.0f} {a:.0f},{gap:.0f} "
        f"L{b:.0f},{gap:.0f} C{x2 - sign * 5:.0f},{gap:.0f} {x2 - sign * 25:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    )
    return path, ((a + b) / 2, gap - 4)


def render_svg(analysis: Analysis) -> str:
    model = analysis.loaded.model
    inside, _ = _members(model)
    names = {a.id: a.name or a.id for a in model.actors} | {c.id: c.name or c.id for c in model.components}
    kinds = {a.id: "actor" for a in model.actors} | {c.id: c.kind.value for c in model.components}
    columns: list[tuple[str | None, list[str]]] = []
    if inside.get(None):
        columns.append((None, inside[None]))
    columns += [(b.id, inside[b.id]) for b in model.trust_boundaries if inside.get(b.id)]
    titles = {b.id: b.name or b.id for b in model.trust_boundaries}
    pos: dict[str, tuple[float, float]] = {}
    body: list[str] = []
    rows = max((len(members) for _, members in columns), default=1)
    for col, (boundary, members) in enumerate(columns):
        x = MARGIN + col * COL_W
        if boundary is not None:
            height = len(members) * ROW_H - (ROW_H - BOX_H) + 40
            body.append(
                f'<rect x="{x - 20}" y="{TOP - 30}" width="{BOX_W + 40}" height="{height}" class="boundary"/>'
                f'<text x="{x - 12}" y="{TOP - 12}" class="boundary-name">{escape(titles[boundary])}</text>'
            )
        for row, ident in enumerate(members):
            y = TOP + row * ROW_H
            pos[ident] = (x, y)
            body.append(
                f'<g id="{escape(ident, quote=True)}">{_shape(kinds[ident], x, y)}'
                f'<text x="{x + BOX_W / 2}" y="{y + BOX_H / 2 + 4}" class="label">'
                f"{escape(names[ident][:26])}</text>"
                "</g>"
            )
    hot = _hot_flows(analysis)
    for n, flow in enumerate(model.flows):
        if flow.source not in pos or flow.destination not in pos:
            continue
        path, (lx, ly) = _route(pos[flow.source], pos[flow.destination], (n % 5 - 2) * 6)
        is_hot = flow.key in hot
        label = escape(_flow_label(flow.protocol, flow.name or flow.id) or flow.key)
        arrow = "arrow-hot" if is_hot else "arrow"
        body.append(
            f'<path d="{path}" class="{"flow hot" if is_hot else "flow"}" marker-end="url(#{arrow})">'
            f"<title>{escape(flow.key)}</title></path>"
            f'<text x="{lx:.0f}" y="{ly:.0f}" class="flow-label">{label}</text>'
        )
    width = MARGIN * 2 + max(len(columns), 1) * COL_W
    height = TOP + rows * ROW_H + 40
    style = (
        ".process{fill:#eef4ff;stroke:#3461c1}.store{fill:#f4fff0;stroke:#3d8b37}"
        ".store-line{stroke:#3d8b37}.external-entity,.actor{fill:#fff8e6;stroke:#a06a00}"
        ".boundary{fill:none;stroke:#c33;stroke-dasharray:6 4}.boundary-name{fill:#c33;font-size:12px}"
        ".label{text-anchor:middle;font-size:12px}.flow{fill:none;stroke:#555}.hot{stroke:#c00;stroke-width:2}"
        ".flow-label{text-anchor:middle;font-size:10px;fill:#333}"
        "text{font-family:system-ui,sans-serif}"
    )
    marker = (
        '<marker id="{id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="data-flow diagram of '
        f'{escape(model.system.name, quote=True)}">'
        f"<style>{style}</style><defs>"
        + marker.format(id="arrow", color="#555")
        + marker.format(id="arrow-hot", color="#c00")
        + "</defs>"
        + "".join(body)
        + "</svg>\n"
    )
