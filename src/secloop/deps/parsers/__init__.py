"""The explicit parser registry: adding a lockfile format is one module and one line here."""

from __future__ import annotations

from secloop.deps.parsers import (
    cargo_lock,
    composer_lock,
    gemfile_lock,
    go_mod,
    gradle_lockfile,
    maven_pom,
    nuget_lock,
    package_lock,
    pdm_lock,
    pipfile_lock,
    pnpm_lock,
    poetry_lock,
    pylock,
    requirements,
    sbom_input,
    uv_lock,
    yarn_lock,
)
from secloop.deps.parsers.interface import LockfileParser

PARSERS: tuple[LockfileParser, ...] = (
    requirements.PARSER,
    poetry_lock.PARSER,
    uv_lock.PARSER,
    pipfile_lock.PARSER,
    pdm_lock.PARSER,
    package_lock.PARSER,
    yarn_lock.PARSER,
    pnpm_lock.PARSER,
    cargo_lock.PARSER,
    go_mod.PARSER,
    go_mod.SUM_PARSER,
    gemfile_lock.PARSER,
    composer_lock.PARSER,
    pylock.PARSER,
    gradle_lockfile.PARSER,
    maven_pom.PARSER,
    nuget_lock.PARSER,
    sbom_input.CYCLONEDX,
    sbom_input.SPDX,
)


def parser_for(path: str) -> LockfileParser | None:
    return next((p for p in PARSERS if p.matches(path)), None)
