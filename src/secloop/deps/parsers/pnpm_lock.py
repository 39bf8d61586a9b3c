"""pnpm-lock.yaml, lockfile versions 5, 6 and 9: the `packages` keys carry name and version."""

from __future__ import annotations

import re
from typing import Any

from secloop.core.model import Skipped
from secloop.deps.model import NPM, Package, ParseResult, package
from secloop.deps.parsers.interface import LockfileParser, Reader, basename

_KEY_LINE = re.compile(r"^  (['\"]?)(.+?)\1:\s*(\{\})?\s*$")
_PEERS_V6 = re.compile(r"\(.*\)$")


def split_key(key: str, v5: bool) -> tuple[str, str] | None:
    """`/name/1.0.0_peer@1` (v5), `/name@1.0.0(peer@1)` (v6) or `name@1.0.0` (v9) -> (name, version)."""
    key = key.lstrip("/")
    if v5:
        name, _, version = key.rpartition("/")  # pnpm 5 writes "/" inside peer suffixes as "+"
        version = version.split("_", 1)[0]
    else:
        key = _PEERS_V6.sub("", key)
        at = key.rfind("@")
        if at <= 0:
            return None
        name, version = key[:at], key[at + 1 :]
    if not name or not version or not version[0].isdigit():
        return None
    return name, version


def _key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    inside = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw and not raw[0].isspace():
            inside = raw.rstrip() == "packages:"
            continue
        if inside and (match := _KEY_LINE.match(raw)):
            lines.setdefault(match.group(2), number)
    return lines


def _direct_names(data: dict[str, Any]) -> set[str]:
    holders: list[Any] = [data]
    importers = data.get("importers")
    if isinstance(importers, dict):
        holders.extend(importers.values())
    names: set[str] = set()
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        for table in ("dependencies", "devDependencies", "optionalDependencies"):
            deps = holder.get(table)
            if isinstance(deps, dict):
                names |= {str(k) for k in deps}
    return names


class PnpmLockParser(LockfileParser):
    name = "pnpm-lock.yaml"
    ecosystem = NPM

    def matches(self, path: str) -> bool:
        return basename(path) == "pnpm-lock.yaml"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        import yaml  # here: most repositories have no pnpm lock, and yaml costs start-up time

        try:
            # yaml's safe loader (the C one when available).
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(text, Loader=loader)  # noqa: S506  # nosec B506
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            return self.malformed(
                path, f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None
            )
        if not isinstance(data, dict):
            return self.malformed(path, "not a YAML mapping")
        version = str(data.get("lockfileVersion", ""))
        v5 = version.startswith("5")
        entries = data.get("packages") or {}
        if not isinstance(entries, dict):
            return self.malformed(path, "`packages` is not a mapping")
        lines = _key_lines(text)
        direct = _direct_names(data)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for key, entry in entries.items():
            line = lines.get(str(key))
            entry = entry if isinstance(entry, dict) else {}
            resolution = entry.get("resolution")
            registry = not isinstance(resolution, dict) or "integrity" in resolution or not resolution
            parts = split_key(str(key), v5)
            if parts is None or not registry:
                where = resolution if isinstance(resolution, dict) else key
                skipped.append(Skipped(path, f"`{key}` resolves to {where}: not a registry release", line))
                continue
            name, ver = parts
            name = str(entry.get("name", name))
            ver = str(entry.get("version", ver))
            dev = entry.get("dev")
            packages.append(
                package(
                    NPM,
                    name,
                    ver,
                    path,
                    line,
                    direct=name in direct,
                    dev=dev if isinstance(dev, bool) else None,
                )
            )
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = PnpmLockParser()
