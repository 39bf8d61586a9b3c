"""SBOMs as input: CycloneDX JSON (`*.cdx.json`, `bom.json`) and SPDX 2.3 JSON (`*.spdx.json`).

Each component's package URL names the ecosystem, package and version; a component without a purl,
or with a purl type secloop does not check, is listed as skipped. Direct dependencies are the ones the
document's root depends on (CycloneDX `dependencies`, SPDX `DEPENDS_ON` from the described package).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from secloop.core.model import Skipped
from secloop.deps.model import (
    CRATES,
    GO,
    MAVEN,
    NPM,
    NUGET,
    PACKAGIST,
    PYPI,
    RUBYGEMS,
    Package,
    ParseResult,
    package,
)
from secloop.deps.parsers.interface import LineIndex, LockfileParser, Reader, basename

_TYPES = {
    "pypi": PYPI,
    "npm": NPM,
    "cargo": CRATES,
    "golang": GO,
    "gem": RUBYGEMS,
    "composer": PACKAGIST,
    "maven": MAVEN,
    "nuget": NUGET,
}


def from_purl(purl: str) -> tuple[str, str, str] | str:
    """(ecosystem, name, version) of a package URL, or why it cannot be checked."""
    if not purl.startswith("pkg:"):
        return f"{purl!r} is not a package URL"
    body = purl[4:].split("#", 1)[0].split("?", 1)[0]
    kind, _, rest = body.partition("/")
    ecosystem = _TYPES.get(kind.lower())
    if ecosystem is None:
        return f"purl type {kind!r} is not checked (types: {', '.join(sorted(_TYPES))})"
    path, at, version = rest.rpartition("@")
    if not at or not path or not version:
        return f"{purl}: no version: not pinned"
    parts = [unquote(p) for p in path.strip("/").split("/")]
    version = unquote(version)
    if ecosystem == MAVEN:
        if len(parts) != 2:
            return f"{purl}: a maven purl needs a namespace (group) and a name"
        name = f"{parts[0]}:{parts[1]}"
    else:
        name = "/".join(parts)
    if ecosystem == GO and version.startswith("v"):
        version = version[1:]  # the Go parsers drop the "v"; the golang purl keeps it
    return ecosystem, name, version


class _SbomParser(LockfileParser):
    def _packages(
        self,
        path: str,
        text: str,
        items: Iterator[tuple[str | None, str | None, str]],
        direct: set[str] | None,
    ) -> ParseResult:
        index = LineIndex(text)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        pos = 0
        for ref, purl, label in items:
            # Components come in document order: search on from the last one, then from the start.
            needle = json.dumps(purl or label)
            at = text.find(needle, pos)
            if at < 0:
                at = text.find(needle)
            else:
                pos = at + len(needle)
            line = index.line(at) if at >= 0 else None
            if not purl:
                skipped.append(Skipped(path, f"{self.name}: `{label}` has no package URL (purl)", line))
                continue
            parsed = from_purl(purl)
            if isinstance(parsed, str):
                skipped.append(Skipped(path, f"{self.name}: {parsed}", line))
                continue
            ecosystem, name, version = parsed
            is_direct = None if direct is None else ref in direct
            packages.append(package(ecosystem, name, version, path, line, direct=is_direct))
        return ParseResult(tuple(packages), tuple(skipped))

    def _load(self, path: str, text: str) -> dict[str, Any] | ParseResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return self.malformed(path, f"not valid JSON: {exc.msg}", LineIndex(text).line(exc.pos))
        if not isinstance(data, dict):
            return self.malformed(path, "not a JSON object", 1)
        return data


class CycloneDxParser(_SbomParser):
    name = "CycloneDX SBOM"
    ecosystem = "(purl)"

    def matches(self, path: str) -> bool:
        name = basename(path).lower()
        return name.endswith(".cdx.json") or name in ("bom.json", "sbom.json")

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        data = self._load(path, text)
        if isinstance(data, ParseResult):
            return data
        if data.get("bomFormat") != "CycloneDX":
            return self.malformed(path, '`bomFormat` is not "CycloneDX"', 1)
        root = ((data.get("metadata") or {}).get("component") or {}).get("bom-ref")
        direct: set[str] | None = None
        for dep in data.get("dependencies") or []:
            if isinstance(dep, dict) and root is not None and dep.get("ref") == root:
                direct = {str(d) for d in dep.get("dependsOn") or []}

        def walk(components: Any) -> Iterator[tuple[str | None, str | None, str]]:
            for c in components if isinstance(components, list) else []:
                if not isinstance(c, dict):
                    continue
                if c.get("type", "library") in ("library", "framework"):
                    yield c.get("bom-ref"), c.get("purl"), str(c.get("name", "?"))
                yield from walk(c.get("components"))

        return self._packages(path, text, walk(data.get("components")), direct)


class SpdxParser(_SbomParser):
    name = "SPDX SBOM"
    ecosystem = "(purl)"

    def matches(self, path: str) -> bool:
        return basename(path).lower().endswith(".spdx.json")

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        data = self._load(path, text)
        if isinstance(data, ParseResult):
            return data
        if not str(data.get("spdxVersion", "")).startswith("SPDX-2."):
            return self.malformed(path, "no `spdxVersion` SPDX-2.x: not an SPDX 2 JSON document", 1)
        described = set(data.get("documentDescribes") or [])
        relationships = [r for r in data.get("relationships") or [] if isinstance(r, dict)]
        described |= {
            r.get("relatedSpdxElement")
            for r in relationships
            if r.get("relationshipType") == "DESCRIBES" and r.get("spdxElementId") == "SPDXRef-DOCUMENT"
        }
        depends = {
            str(r.get("relatedSpdxElement"))
            for r in relationships
            if r.get("relationshipType") == "DEPENDS_ON" and r.get("spdxElementId") in described
        }

        def items() -> Iterator[tuple[str | None, str | None, str]]:
            for p in data.get("packages") or []:
                if not isinstance(p, dict) or p.get("SPDXID") in described:
                    continue
                purl = next(
                    (
                        str(r.get("referenceLocator"))
                        for r in p.get("externalRefs") or []
                        if isinstance(r, dict) and r.get("referenceType") == "purl"
                    ),
                    None,
                )
                yield p.get("SPDXID"), purl, str(p.get("name", "?"))

        return self._packages(path, text, items(), depends or None)


CYCLONEDX = CycloneDxParser()
SPDX = SpdxParser()
