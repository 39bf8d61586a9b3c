"""The policy inputs of a run: the repository, its configuration, suppressions and baseline.

Kept apart from `secloop.assess`, which imports every evaluator: single-engine commands and the
pre-commit hook read their inputs here without paying for that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from secloop.core.baseline import Baseline, load_baseline
from secloop.core.config import Config, SuppressionEntry, load_config, load_suppressions_file
from secloop.sources.repo import Repo


@dataclass(frozen=True)
class Prepared:
    repo: Repo
    config: Config
    config_path: Path | None
    suppressions: tuple[tuple[SuppressionEntry, str], ...]
    baseline: Baseline | None


def prepare(path: Path, config_file: Path | None = None, *, use_baseline: bool = True) -> Prepared:
    probe = Repo(path)
    config, config_path = load_config(probe.root, config_file)
    repo = Repo(probe.root, exclude=config.exclude)
    source = (
        str(config_path.relative_to(repo.root))
        if config_path and config_path.is_relative_to(repo.root)
        else str(config_path or "config")
    )
    entries = [(entry, source) for entry in config.suppress]
    sup_file = repo.root / config.suppressions_file
    entries += [(entry, config.suppressions_file) for entry in load_suppressions_file(sup_file)]
    baseline = load_baseline(repo.root / config.baseline) if use_baseline else None
    return Prepared(repo, config, config_path, tuple(entries), baseline)
