"""yarn.lock, classic (v1) and berry (v2+): one entry per resolved version, read line by line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from secloop.core.model import Skipped
from secloop.deps.model import NPM, Package, ParseResult, package
from secloop.deps.parsers.interface import LockfileParser, Reader, basename
from secloop.deps.parsers.package_lock import package_json_direct

_FIELD = re.compile(r'^\s+"?(version|resolution|resolved)"?:?\s+"?([^"\s]+)"?\s*$')
_NOT_REGISTRY = re.compile(r"^(git\+|git:|github:|gitlab:|bitbucket:|file:|link:|portal:|exec:|https?://)")
_NOT_REGISTRY_RESOLVED = re.compile(r"^(git\+|git:|file:|link:)")
_BERRY_PROTOCOL = re.compile(r"@(npm|workspace|patch|git|git\+[a-z]+|file|link|portal|exec|https?):")


@dataclass
class _Entry:
    line: int
    specs: list[str]
    fields: dict[str, str] = field(default_factory=dict)


def _entries(text: str) -> list[_Entry]:
    entries: list[_Entry] = []
    current: _Entry | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            header = raw.rstrip()
            if header.endswith(":") and header != "__metadata:":
                specs = [s.strip().strip('"') for s in header[:-1].split(",")]
                current = _Entry(number, [s for s in specs if s])
                entries.append(current)
            else:
                current = None
            continue
        indent = len(raw) - len(raw.lstrip())
        if current is not None and indent == 2 and (match := _FIELD.match(raw)):
            current.fields.setdefault(match.group(1), match.group(2))
    return entries


def _name_of(spec: str) -> str:
    at = spec.find("@", 1)  # a scoped name starts with "@"
    return spec if at == -1 else spec[:at]


class YarnLockParser(LockfileParser):
    name = "yarn.lock"
    ecosystem = NPM

    def matches(self, path: str) -> bool:
        return basename(path) == "yarn.lock"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        direct = package_json_direct(path, read)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        berry = "__metadata:" in text
        for entry in _entries(text):
            if not entry.specs:
                continue
            name = _name_of(entry.specs[0])
            version = entry.fields.get("version", "")
            if berry:
                resolution = entry.fields.get("resolution", "")
                protocol = _BERRY_PROTOCOL.search(resolution)
                kind = protocol.group(1) if protocol else ""
                if kind == "workspace":
                    continue  # the project's own workspace
                if kind == "patch":
                    inner = re.search(r"@npm%3A([^#&]+)", resolution)
                    if inner is None:
                        skipped.append(
                            Skipped(path, f"`{name}` is a patch of a non-registry package", entry.line)
                        )
                        continue
                    version = inner.group(1)
                elif kind != "npm":
                    skipped.append(
                        Skipped(
                            path,
                            f"`{name}` resolves to {resolution or '?'}: not a registry release",
                            entry.line,
                        )
                    )
                    continue
                real = resolution[: resolution.find("@", 1)] if resolution.find("@", 1) > 0 else name
                name = real
            else:
                spec_range = entry.specs[0][len(name) + 1 :]
                if spec_range.startswith("npm:"):
                    alias = spec_range[4:]
                    name = _name_of(alias)
                elif _NOT_REGISTRY.match(spec_range) or _NOT_REGISTRY_RESOLVED.match(
                    entry.fields.get("resolved", "")
                ):
                    skipped.append(
                        Skipped(path, f"`{name}@{spec_range}`: not a registry release", entry.line)
                    )
                    continue
            if not version:
                skipped.append(Skipped(path, f"`{name}` has no version in yarn.lock", entry.line))
                continue
            declared = {_name_of(s) for s in entry.specs}
            is_direct = None if direct is None else bool(declared & direct)
            packages.append(package(NPM, name, version, path, entry.line, direct=is_direct))
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = YarnLockParser()
