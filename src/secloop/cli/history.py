"""`secloop history PATH`: how each practice changed over the saved assessments (the journey)."""

from __future__ import annotations

import json
import shlex
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from secloop.cli.options import DB_OPTION
from secloop.core.enums import Stage, Status

if TYPE_CHECKING:  # the store pulls in SQLAlchemy (~0.5 s); only `history` itself needs it
    from secloop.store import History, HistoryEntry, PracticeStatus

SCHEMA = "secloop.history/v1"
# Only pass > partial > fail is an order; unknown and not-applicable say nothing about better or worse.
_RANK = {Status.PASS: 2, Status.PARTIAL: 1, Status.FAIL: 0}
STATUS_STYLE = {
    Status.PASS: "green",
    Status.PARTIAL: "yellow",
    Status.FAIL: "bold red",
    Status.UNKNOWN: "magenta",
    Status.NOT_APPLICABLE: "dim",
}
CHANGE_STYLE: dict[str, str] = {
    "improved": "bold green",
    "regressed": "bold red",
    "changed": "yellow",
    "new": "cyan",
    "removed": "dim",
    "unchanged": "dim",
}


Change = Literal["improved", "regressed", "changed", "new", "removed", "unchanged"]


class HistoryFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def change(first: PracticeStatus | None, last: PracticeStatus | None) -> Change:
    """How a practice moved between the first and the last assessment shown."""
    if first is None:
        return "new"
    if last is None:
        return "removed"
    if first.status is last.status:
        return "unchanged"
    if first.status in _RANK and last.status in _RANK:
        return "improved" if _RANK[last.status] > _RANK[first.status] else "regressed"
    return "changed"


def _changes(history: History) -> list[tuple[str, Stage, Change]]:
    first, last = history.entries[0], history.entries[-1]
    return [
        (pid, stage, change(first.status_of(pid), last.status_of(pid))) for pid, stage in history.practices
    ]


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def summary_line(history: History) -> str:
    entries = history.entries
    since = _day(entries[0].as_of)
    if len(entries) == 1:
        return f"1 assessment so far ({since}); assess again later to see how the practices change"
    moves = [c for _, _, c in _changes(history)]
    improved, regressed = moves.count("improved"), moves.count("regressed")
    noun = "practice" if improved == 1 else "practices"
    return f"{improved} {noun} improved, {regressed} regressed since {since} ({len(entries)} assessments)"


def _header(entry: HistoryEntry) -> str:
    return f"{_day(entry.as_of)}\n{entry.commit[:7] if entry.commit else 'no commit'}"


def journey_table(history: History) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("practice", no_wrap=True)
    for entry in history.entries:
        table.add_column(_header(entry), no_wrap=True)
    table.add_column("change", no_wrap=True)
    rows = _changes(history)
    for index, (pid, stage, moved) in enumerate(rows):
        cells = [Text(pid)]
        for entry in history.entries:
            found = entry.status_of(pid)
            if found is None:
                cells.append(Text("-", style="dim"))
            else:
                cells.append(Text(found.status.value, style=STATUS_STYLE[found.status]))
        cells.append(Text(moved, style=CHANGE_STYLE[moved]))
        stage_ends = index + 1 == len(rows) or rows[index + 1][1] is not stage
        table.add_row(*cells, end_section=stage_ends)
    return table


def history_document(history: History) -> dict[str, Any]:
    entries = history.entries
    changes = _changes(history) if entries else []
    moves = [c for _, _, c in changes]
    return {
        "schema": SCHEMA,
        "root": history.root,
        "name": history.name,
        "assessments": [
            {
                "id": e.id,
                "commit": e.commit,
                "as_of": _iso(e.as_of),
                "recorded_at": _iso(e.recorded_at),
                "tool_version": e.tool_version,
                "config_digest": e.config_digest,
                "gate_passed": e.gate_passed,
                "counts": {
                    "pass": e.counts.passed,
                    "partial": e.counts.partial,
                    "fail": e.counts.failed,
                    "unknown": e.counts.unknown,
                    "not-applicable": e.counts.not_applicable,
                    "findings": e.counts.findings,
                    "active_findings": e.counts.active_findings,
                },
            }
            for e in entries
        ],
        "practices": [
            {
                "id": pid,
                "stage": stage.value,
                "statuses": [_status_value(e.status_of(pid)) for e in entries],
                "scores": [_score(e.status_of(pid)) for e in entries],
                "change": moved,
            }
            for pid, stage, moved in changes
        ],
        "summary": {
            "improved": moves.count("improved"),
            "regressed": moves.count("regressed"),
            "since": _iso(entries[0].as_of) if entries else None,
        },
    }


def _status_value(found: PracticeStatus | None) -> str | None:
    return None if found is None else found.status.value


def _score(found: PracticeStatus | None) -> int | None:
    return None if found is None else found.score


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def print_history(history: History, fmt: HistoryFormat, console: Console, store_url: str) -> None:
    if fmt is HistoryFormat.JSON:
        typer.echo(json.dumps(history_document(history), indent=2, ensure_ascii=False))
        return
    if not history.entries:
        return
    name = history.name or Path(history.root).name
    console.print(
        Text(f"{name} ({history.root}): {_plural(len(history.entries), 'assessment')} in {store_url}")
    )
    console.print(journey_table(history))
    console.print(Text(summary_line(history)))


PATH_ARGUMENT = typer.Argument(Path("."), help="Repository whose journey to show.")
LIMIT_OPTION = typer.Option(20, "--limit", "-n", min=1, help="Show at most the latest N assessments.")
FORMAT_OPTION = typer.Option(
    HistoryFormat.TABLE, "--format", "-f", case_sensitive=False, help="table (for people) or json."
)


def register(app: typer.Typer) -> None:
    @app.command("history")
    def history_command(
        path: Path = PATH_ARGUMENT,
        db: str | None = DB_OPTION,
        limit: int = LIMIT_OPTION,
        fmt: HistoryFormat = FORMAT_OPTION,
    ) -> None:
        """Show how each practice changed over the saved assessments of a repository.

        One row per practice, one column per assessment (oldest first), and whether the practice
        improved or regressed between the first and the last. Exit codes: 0 shown (also when nothing
        is recorded yet); 2 usage error; 3 the store could not be read.
        """
        root = str(path.resolve())
        from secloop.store import open_store

        with open_store(db) as store:
            history = store.history(root, limit)
            url = store.url
        console = Console(highlight=False, soft_wrap=False)
        if not history.entries:
            # With --format json the document stays alone on stdout; the advice goes to stderr.
            advice = Console(stderr=True, highlight=False) if fmt is HistoryFormat.JSON else console
            advice.print(Text(f"no assessment of {root} is recorded in {url}"))
            advice.print(Text(f"  hint: run `secloop assess {shlex.quote(str(path))}` first"))
        print_history(history, fmt, console, url)
