"""Generated documentation: one section per rule and per practice, and the --help blocks.

`python scripts/gen_docs.py` writes them; `--check` (and the test suite) fails when they drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from secloop.core.enums import Stage
from secloop.core.rules import Rule
from secloop.practices.catalog import Practice, load_catalog
from secloop.registry import REGISTRY

HELP_BLOCK = re.compile(
    r"(<!-- help:(?P<cmd>[a-z \-]*) -->\n```text\n)(?P<body>.*?)(```\n<!-- /help -->)", re.S
)


def rule_section(rule: Rule) -> str:
    refs = ", ".join(rule.references) or "—"
    return (
        f'<a id="{rule.anchor}"></a>\n'
        f"### {rule.id}: {rule.title}\n\n"
        f"| stage | severity | confidence | references |\n|---|---|---|---|\n"
        f"| {rule.stage.value} | {rule.severity.value} | {rule.confidence.value} | {refs} |\n\n"
        f"**What it finds and why it matters.** {rule.description}\n\n"
        f"**The fix.** {rule.fix}\n\n"
        f"Suppress one occurrence with `secloop: ignore[{rule.id}] <reason>` on the line or the line above.\n"
    )


def rules_page() -> str:
    parts = [
        "# Rules\n\n",
        "Generated from the rule registry by `make docs`; do not edit by hand.\n\n",
        f"{len(REGISTRY)} rules. Each finding's `helpUri` points at its section here.\n\n",
    ]
    for stage in Stage:
        rules = [r for r in REGISTRY if r.stage is stage]
        if not rules:
            continue
        parts.append(f"## {stage.value}\n\n")
        parts += [rule_section(r) + "\n" for r in rules]
    return "".join(parts).rstrip() + "\n"


def practice_section(p: Practice) -> str:
    meanings = "".join(f"- **{status.value}**: {text}\n" for status, text in p.meaning)
    rules = ", ".join(f"[{r}](rules.md#{r.lower()})" for r in p.rules) or "none (decided from evidence)"
    engine = f"`secloop.{p.engine}`" if p.engine else "repository contents"
    return (
        f'<a id="{p.id.replace(".", "-")}"></a>\n'
        f"### {p.id}: {p.title}\n\n"
        f"{p.why}\n\n"
        f"- reference: {p.reference}\n"
        f"- evidence: {p.evidence}\n"
        f"- decided by: {engine}\n"
        f"- effort: {p.effort.value}; impact: {p.impact.value}\n"
        f"- rules: {rules}\n\n"
        f"What each status means:\n\n{meanings}"
    )


def practices_page() -> str:
    catalog = load_catalog()
    parts = [
        "# Practices of the loop\n\n",
        "Generated from the catalog (`src/secloop/practices/catalog/`) by `make docs`; "
        "do not edit by hand.\n\n",
        f"{len(catalog)} practices over {len(Stage)} stages.\n\n",
    ]
    for stage in Stage:
        items = [p for p in catalog if p.stage is stage]
        if items:
            parts.append(f"## {stage.value}\n\n")
            parts += [practice_section(p) + "\n" for p in items]
    return "".join(parts).rstrip() + "\n"


def fill_help_blocks(text: str, help_of: Callable[[str], str]) -> str:
    """Replace every ``<!-- help:CMD -->`` block with the real ``secloop CMD --help`` text."""

    def sub(match: re.Match[str]) -> str:
        return match.group(1) + help_of(match.group("cmd").strip()) + match.group(4)

    return HELP_BLOCK.sub(sub, text)


def generated(root: Path, help_of: Callable[[str], str]) -> dict[Path, str]:
    """Every generated file with its expected content."""
    out = {root / "docs" / "rules.md": rules_page(), root / "docs" / "practices.md": practices_page()}
    pages = [root / "README.md", *sorted((root / "docs" / "commands").glob("*.md"))]
    for page in pages:
        if page.is_file():
            out[page] = fill_help_blocks(page.read_text("utf-8"), help_of)
    return out
