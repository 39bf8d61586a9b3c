"""`secloop baseline create|update`: accept today's findings so only new ones fail the gate."""

from __future__ import annotations

from pathlib import Path

import typer

from secloop.cli.options import CONFIG_OPTION
from secloop.core.baseline import Baseline, dump_baseline, load_baseline, write_atomic
from secloop.core.errors import UsageError


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Record today's findings so that only new ones fail the gate.", no_args_is_help=True
    )
    app.add_typer(group, name="baseline")

    def _write(path: Path, config: Path | None, output: Path | None, *, update: bool) -> None:
        from secloop.assess import assess
        from secloop.inputs import prepare

        prepared = prepare(path, config, use_baseline=False)
        target = output or prepared.repo.root / prepared.config.baseline
        if not update and target.exists():
            raise UsageError(
                f"baseline already exists: {target}", hint="use `secloop baseline update` to refresh it"
            )
        previous = load_baseline(target) if update else None
        result = assess(prepared)
        # Suppressed findings stay out: the suppression already explains them.
        baseline = Baseline.from_findings(f for f in result.findings if f.suppression is None)
        write_atomic(target, dump_baseline(baseline))
        old = previous.fingerprints if previous else frozenset()
        added = len(baseline.fingerprints - old)
        removed = len(old - baseline.fingerprints)
        verb = "updated" if update else "created"
        typer.echo(f"baseline {verb}: {target} ({len(baseline.entries)} findings; +{added} -{removed})")

    @group.command("create")
    def create(
        path: Path = typer.Argument(Path("."), help="Repository."),
        config: Path | None = CONFIG_OPTION,
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Baseline file (default from config)."
        ),
    ) -> None:
        """Create the baseline from the current findings (refuses to overwrite)."""
        _write(path, config, output, update=False)

    @group.command("update")
    def update(
        path: Path = typer.Argument(Path("."), help="Repository."),
        config: Path | None = CONFIG_OPTION,
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Baseline file (default from config)."
        ),
    ) -> None:
        """Replace the baseline with the current findings and say what changed."""
        _write(path, config, output, update=True)
