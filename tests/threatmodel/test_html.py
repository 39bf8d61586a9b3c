"""The HTML report and the self-contained SVG diagram."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from secloop.core.enums import Severity
from secloop.threatmodel.htmlreport import render_html
from secloop.threatmodel.svg import render_svg
from tests.threatmodel.conftest import FIXTURES, analysis

Invoke = Callable[..., Result]
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = """\
system: {name: "<script>alert(1)</script>", scope: {in: ["a & b"]}}
actors: [{id: user, name: "<b>bold</b>"}]
components: [{id: api, kind: process}]
flows: [{id: xy, name: "x<y", source: user, destination: api, protocol: http}]
trust_boundaries: [{id: inside, name: "</svg>", components: [api]}]
"""


def test_svg_is_well_formed_and_draws_every_element_and_flow() -> None:
    a = analysis((FIXTURES / "pytm-example.yaml").read_text("utf-8"))
    root = ET.fromstring(render_svg(a))  # noqa: S314 - our own output
    model = a.loaded.model
    ids = {x.id for x in model.actors} | {x.id for x in model.components}
    assert {g.get("id") for g in root.iter(f"{SVG}g")} == ids
    paths = [p for p in root.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None]
    assert [p.find(f"{SVG}title").text for p in paths] == [f.key for f in model.flows]  # type: ignore[union-attr]
    hot = {p.find(f"{SVG}title").text for p in paths if "hot" in (p.get("class") or "")}  # type: ignore[union-attr]
    assert hot == {t.target for t in a.unmitigated(Severity.HIGH) if t.target_kind == "flow"}
    assert hot and len(hot) < len(paths)


def test_html_is_self_contained_and_escapes_model_text() -> None:
    html = render_html(analysis(HOSTILE), Severity.HIGH)
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert re.findall(r"<h2>([^<]+)</h2>", html) == [
        "1. What are we working on?",
        "2. What can go wrong?",
        "3. What are we going to do about it?",
        "4. Did we do a good enough job?",
    ]
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;/svg&gt;" in html and "x&lt;y" in html
    assert not re.search(r"\b(src|href)=|@import|url\(http", html)
    assert html.count("<svg") == 1 and html.rstrip().endswith("</body></html>")


def test_check_html_and_diagram_svg_through_the_cli(invoke: Invoke, tmp_path: Path) -> None:
    shop = str(FIXTURES / "shop.yaml")
    out = tmp_path / "report.html"
    result = invoke("threatmodel", "check", shop, "-f", "html", "-o", str(out), "--as-of", "2026-12-01")
    assert (result.exit_code, result.output) == (0, "")
    text = out.read_text("utf-8")
    assert '<p class="passed">Gate: passed.</p>' in text
    assert '<tr id="THREAT-7457C7B69C">' in text
    assert "<li>orders: ASVS L2 (from C=high, I=high)</li>" in text
    svg = invoke("threatmodel", "diagram", shop, "-f", "svg")
    assert svg.exit_code == 0 and svg.output.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg.output == render_svg(analysis((FIXTURES / "shop.yaml").read_text("utf-8")))
