from __future__ import annotations

from secloop.report import html, json_v1, junit, markdown, sarif
from secloop.report.formats import FORMATS
from secloop.report.interface import RenderInput


def test_registry_maps_names_to_renderers() -> None:
    expected = {
        "json": json_v1.render,
        "sarif": sarif.render,
        "markdown": markdown.render,
        "html": html.render,
        "junit": junit.render,
    }
    assert expected == FORMATS
    assert "terminal" not in FORMATS


def test_every_format_renders_the_sample_deterministically(sample_assessment: RenderInput) -> None:
    for name, render in FORMATS.items():
        first = render(sample_assessment)
        assert first == render(sample_assessment), name
        assert first.endswith("\n"), name
        assert "fp-secret-inline" in first or name in ("markdown", "junit"), name
