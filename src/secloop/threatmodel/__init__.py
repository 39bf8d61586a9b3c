"""Threat modelling as code: the model in YAML, rules as data, the four questions answered and gated."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

from secloop.threatmodel.engine import Analysis, analyse
from secloop.threatmodel.loader import LoadedModel, load_model, parse_model
from secloop.threatmodel.rulebook import Rulebook, load_rulebook
from secloop.threatmodel.staleness import StalePolicy, check_staleness

__all__ = [
    "Analysis",
    "LoadedModel",
    "Rulebook",
    "StalePolicy",
    "analyse",
    "check_file",
    "load_model",
    "parse_model",
    "paused_gc",
]


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a model is read and analysed: a large model is a few
    million young objects, none of them garbage yet, and each collection pass walks them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_file(
    path: Path,
    *,
    today: date,
    root: Path | None = None,
    display: str | None = None,
    stale: StalePolicy | None = None,
) -> Analysis:
    """Load, validate and analyse one model file with secloop's rules; with a policy, also tell
    whether the model is stale against the git history of the code it names."""
    rulebook = load_rulebook()
    with paused_gc():
        loaded = load_model(path, rulebook.ids, display=display)
        analysis = analyse(loaded, rulebook, today=today, root=root)
    if stale is not None:
        analysis = replace(analysis, staleness=check_staleness(path, loaded.model, stale))
    return analysis
