"""The output formats `--format` can name: one module per format, one line here per module."""

from __future__ import annotations

from secloop.report import html, json_v1, junit, markdown, sarif
from secloop.report.interface import Renderer

FORMATS: dict[str, Renderer] = {
    "json": json_v1.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "html": html.render,
    "junit": junit.render,
}
