"""package-lock.json (and npm-shrinkwrap.json), lockfile versions 1 to 3."""

from __future__ import annotations

import json
import re
from typing import Any

from secloop.core.model import Skipped
from secloop.deps.model import NPM, Package, ParseResult, package
from secloop.deps.parsers.interface import KeyCursor, LockfileParser, Reader, basename, sibling

_DEP_TABLES = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_NOT_REGISTRY = re.compile(r"^(git\+|git:|github:|gitlab:|bitbucket:|file:|link:)")
_NOT_A_VERSION = re.compile(r"^(git\+|git:|github:|gitlab:|bitbucket:|file:|link:|https?://)")


def package_json_direct(path: str, read: Reader) -> set[str] | None:
    """Names the sibling package.json declares; None when there is none (direct then unknown)."""
    text = read(sibling(path, "package.json"))
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return _declared(data) if isinstance(data, dict) else None


def _declared(entry: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for table in _DEP_TABLES:
        deps = entry.get(table)
        if isinstance(deps, dict):
            names |= {str(k) for k in deps}
    return names


def split_alias(name: str, version: str) -> tuple[str, str]:
    """`npm:real-name@1.2.3` versions (npm aliases) name the package actually installed."""
    if version.startswith("npm:"):
        real, _, ver = version[4:].rpartition("@")
        if real:
            return real, ver
    return name, version


class PackageLockParser(LockfileParser):
    name = "package-lock.json"
    ecosystem = NPM

    def matches(self, path: str) -> bool:
        return basename(path) in ("package-lock.json", "npm-shrinkwrap.json")

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return self.malformed(path, f"not valid JSON: {exc.msg}", exc.lineno)
        if not isinstance(data, dict):
            return self.malformed(path, "not a JSON object")
        cursor = KeyCursor(text)
        packages = data.get("packages")
        if isinstance(packages, dict):
            return self._v2(path, packages, cursor)
        deps = data.get("dependencies")
        if isinstance(deps, dict):
            out: list[Package] = []
            skipped: list[Skipped] = []
            self._v1(path, deps, cursor, package_json_direct(path, read), out, skipped, nested=False)
            return ParseResult(tuple(out), tuple(skipped))
        return ParseResult()

    def _v2(self, path: str, packages: dict[str, Any], cursor: KeyCursor) -> ParseResult:
        direct: set[str] = set()
        for key, entry in packages.items():
            if isinstance(entry, dict) and "node_modules/" not in f"/{key}":
                direct |= _declared(entry)  # the root ("") and workspace folders
        out: list[Package] = []
        skipped: list[Skipped] = []
        for key, entry in packages.items():
            line = cursor.find_object(key)
            if "node_modules/" not in f"/{key}" or not isinstance(entry, dict):
                continue
            if entry.get("link"):
                continue  # a symlink to a workspace folder: the project's own code
            name = key.rsplit("node_modules/", 1)[1]
            name = str(entry.get("name", name))
            version = str(entry.get("version", ""))
            resolved = str(entry.get("resolved", ""))
            name, version = split_alias(name, version)
            if _NOT_REGISTRY.match(resolved) or _NOT_A_VERSION.match(version):
                skipped.append(
                    Skipped(
                        path,
                        f"`{name}` is installed from {resolved or version}: not a registry release",
                        line,
                    )
                )
                continue
            if not version:
                skipped.append(Skipped(path, f"`{name}` has no version in the lockfile", line))
                continue
            top = key.count("node_modules/") == 1 and key.startswith("node_modules/")
            out.append(
                package(
                    NPM, name, version, path, line, direct=top and name in direct, dev=bool(entry.get("dev"))
                )
            )
        return ParseResult(tuple(out), tuple(skipped))

    def _v1(
        self,
        path: str,
        deps: dict[str, Any],
        cursor: KeyCursor,
        direct: set[str] | None,
        out: list[Package],
        skipped: list[Skipped],
        *,
        nested: bool,
    ) -> None:
        for key, entry in deps.items():
            line = cursor.find_object(key)
            if not isinstance(entry, dict):
                continue
            name, version = split_alias(key, str(entry.get("version", "")))
            if _NOT_A_VERSION.match(version):
                skipped.append(
                    Skipped(path, f"`{name}` is installed from {version}: not a registry release", line)
                )
            elif not version:
                skipped.append(Skipped(path, f"`{name}` has no version in the lockfile", line))
            else:
                is_direct = None if direct is None else not nested and key in direct
                out.append(
                    package(NPM, name, version, path, line, direct=is_direct, dev=bool(entry.get("dev")))
                )
            children = entry.get("dependencies")
            if isinstance(children, dict):
                self._v1(path, children, cursor, direct, out, skipped, nested=True)


PARSER = PackageLockParser()
