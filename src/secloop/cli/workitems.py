"""`secloop events import FILE --from FORMAT`: work items from an issue tracker's export."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from secloop.cli.options import CONFIG_OPTION
from secloop.core.errors import UsageError


def register_import(events_app: typer.Typer) -> None:
    from secloop.delivery.workitems import FORMATS

    @events_app.command("import")
    def import_command(
        source: Path = typer.Argument(..., dir_okay=False, help="The export: CSV or the API's JSON list."),
        fmt: str = typer.Option(..., "--from", help=f"One of: {', '.join(FORMATS)}."),
        path: Path = typer.Option(Path("."), "--repo", help="Repository whose events file receives them."),
        mapping: Path | None = typer.Option(
            None,
            "--mapping",
            dir_okay=False,
            help="TOML [[rule]] tables typing items (default rules otherwise).",
        ),
        events: Path | None = typer.Option(
            None, "--events", dir_okay=False, help="Events file (JSON lines) instead of the configured one."
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be imported; write nothing."),
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Import work items from a Jira CSV export, a plain CSV, or the GitHub / GitLab issues API's
        JSON list, typed as feature, defect, risk or debt by the first matching rule.

        Items whose id is already in the events file are left out, so importing again adds only new
        items. Items no rule types are listed and not imported. All lines are appended in one write.
        Exit codes: 0 imported (or nothing new); 2 usage or input error (file:line named).
        """
        from secloop.cli.dora import _events_path, _open
        from secloop.delivery.events import append_events, load_events
        from secloop.delivery.workitems import DEFAULT_RULES, load_rules, read_items, typed

        if fmt not in FORMATS:
            raise UsageError(f"--from: unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        repo, cfg = _open(path, config)
        rules = load_rules(mapping) if mapping is not None else DEFAULT_RULES
        result = typed(read_items(source, fmt), rules)
        target = _events_path(repo, cfg, events)
        known = {item.id for item in load_events(target, str(target), strict=False).work_items}
        new = [item for item in result.items if item.id not in known]
        counts = Counter(item.type.value for item in new)
        summary = ", ".join(f"{counts[t]} {t}" for t in ("feature", "defect", "risk", "debt"))
        for raw in result.unmapped:
            labels = ", ".join(raw.labels) or "no labels"
            typer.echo(f"unmapped {raw.id} ({raw.origin}): type {raw.issue_type or '—'}, {labels}", err=True)
        skipped = len(result.items) - len(new)
        tail = f"; {skipped} already in the events file" if skipped else ""
        tail += f"; {len(result.unmapped)} unmapped" if result.unmapped else ""
        if dry_run:
            typer.echo(f"would import {len(new)} work item(s) into {target}: {summary}{tail}")
            return
        append_events(target, new)
        typer.echo(f"imported {len(new)} work item(s) into {target}: {summary}{tail}")
