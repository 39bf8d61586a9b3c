"""Delivery engine: DORA metrics, trunk-based development and work mix from git and the events file.

`delivery_metrics(repo, config)` feeds the DORA panel of `secloop assess`; `dora(...)` backs
`secloop dora`. Nothing here reads the wall clock: the window ends at the newest event.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from secloop.core.config import Config
from secloop.core.model import Metric, Skipped
from secloop.delivery.events import Events
from secloop.delivery.metrics import DoraReport, Options, analyse
from secloop.delivery.sources import Sources, gather
from secloop.sources.repo import Repo

__all__ = ["DeliveryResult", "DoraReport", "Options", "delivery_metrics", "dora", "load_sources"]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    metrics: tuple[Metric, ...]
    reason: str | None
    skipped: tuple[Skipped, ...]


def load_sources(
    repo: Repo,
    config: Config,
    events: Path | None = None,
    extra: Events | None = None,
    api: tuple[str, ...] = (),
) -> Sources:
    """Git and the events file of ``repo``; ``events`` given explicitly makes a malformed line an error.

    ``extra`` (events an API source read) are merged with the file's; ``api`` describes them.
    """
    if events is None:
        path, shown, strict = repo.root / config.events_file, config.events_file, False
    else:
        path, shown, strict = events, str(events), True
    return gather(
        repo.root,
        in_worktree=repo.is_git,
        tag_pattern=config.release_tag_pattern,
        events_file=path,
        events_shown=shown,
        strict=strict,
        extra=extra,
        api=api,
    )


def dora(
    repo: Repo,
    config: Config,
    options: Options | None = None,
    events: Path | None = None,
    extra: Events | None = None,
    api: tuple[str, ...] = (),
) -> DoraReport:
    return analyse(load_sources(repo, config, events, extra, api), options or Options())


def delivery_metrics(repo: Repo, config: Config) -> DeliveryResult:
    """The DORA panel of an assessment: metrics over the default window, or why there are none."""
    report = dora(repo, config)
    return DeliveryResult(report.metrics, report.reason, report.skipped)
