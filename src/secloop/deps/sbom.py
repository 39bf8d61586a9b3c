"""CycloneDX 1.6 JSON from the deps engine's inventory: what the lockfiles pin, nothing guessed.

The document is a pure function of the inventory, the repository's name and the moment given (HEAD's
commit time), so the same commit gives byte-identical output: components are sorted by purl and the
serial number is derived from a hash of the rest of the document.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from secloop import __version__
from secloop.core.model import Skipped
from secloop.deps.model import CRATES, GO, MAVEN, NPM, NUGET, PACKAGIST, PYPI, RUBYGEMS, Package
from secloop.deps.scan import Inventory

SPEC_VERSION = "1.6"
ROOT_REF = "repository"
# A fixed namespace: the serial number is uuid5(namespace, SHA-256 of the document without it).
_SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/secloop/secloop/sbom")

PURL_TYPES = {
    PYPI: "pypi",
    NPM: "npm",
    CRATES: "cargo",
    GO: "golang",
    RUBYGEMS: "gem",
    PACKAGIST: "composer",
    MAVEN: "maven",
    NUGET: "nuget",
}


def _segment(text: str) -> str:
    # purl: every segment percent-encoded; unreserved characters stay as they are.
    return quote(text, safe="")


def purl(ecosystem: str, name: str, version: str) -> str | None:
    """The package URL of a pinned package, or None when the ecosystem has no purl type here."""
    kind = PURL_TYPES.get(ecosystem)
    if kind is None:
        return None
    if ecosystem == PYPI:  # already PEP 503-normalised by the parsers; purl asks the same
        name = name.lower().replace("_", "-")
    if ecosystem == GO and not version.startswith("v"):
        version = "v" + version  # the parser drops Go's "v"; the golang purl keeps the module's version
    if ecosystem == MAVEN:
        name = name.replace(":", "/", 1)  # group:artifact -> namespace/name
    path = "/".join(_segment(part) for part in name.split("/") if part)
    return f"pkg:{kind}/{path}@{_segment(version)}"


@dataclass(frozen=True, slots=True)
class Sbom:
    text: str  # the JSON document, newline-terminated
    components: int
    skipped: tuple[Skipped, ...]  # not components: not pinned, not readable, or no purl type


def _dependency_kind(found: list[Package]) -> str:
    if any(p.direct for p in found):
        return "direct"
    if all(p.direct is False for p in found):
        return "transitive"
    return "unknown"  # the lockfile format does not tell


def _component(ref: str, found: list[Package]) -> dict[str, object]:
    first = found[0]
    properties: list[dict[str, str]] = [
        {"name": "secloop:dependency", "value": _dependency_kind(found)},
        {"name": "secloop:ecosystem", "value": first.ecosystem},
    ]
    properties += [{"name": "secloop:lockfile", "value": path} for path in sorted({p.path for p in found})]
    component: dict[str, object] = {
        "type": "library",
        "bom-ref": ref,
        "name": first.name,
        "version": first.version,
    }
    if all(p.dev for p in found):
        # CycloneDX: "excluded" documents test and other non-runtime use; a dev-only pin is that.
        component["scope"] = "excluded"
    else:
        component["scope"] = "required"
    component["purl"] = ref
    component["properties"] = properties
    return component


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(inventory: Inventory, name: str, moment: datetime) -> Sbom:
    """The CycloneDX 1.6 document of ``inventory`` for the repository called ``name``."""
    grouped: dict[str, list[Package]] = {}
    skipped = list(inventory.skipped)
    for pkg in inventory.packages:
        ref = purl(pkg.ecosystem, pkg.name, pkg.version)
        if ref is None:
            skipped.append(
                Skipped(pkg.path, f"{pkg.ecosystem} {pkg.name} {pkg.version}: no package URL type", pkg.line)
            )
            continue
        grouped.setdefault(ref, []).append(pkg)
    refs = sorted(grouped)
    components = [_component(ref, grouped[ref]) for ref in refs]
    direct = [ref for ref in refs if _dependency_kind(grouped[ref]) == "direct"]
    document: dict[str, object] = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": _timestamp(moment),
            "tools": {"components": [{"type": "application", "name": "secloop", "version": __version__}]},
            "component": {"type": "application", "bom-ref": ROOT_REF, "name": name},
        },
        "components": components,
        # Only the repository's own edges are known: lockfiles here give no per-package graph.
        "dependencies": [{"ref": ROOT_REF, "dependsOn": direct}],
    }
    document["serialNumber"] = _serial(document)
    return Sbom(json.dumps(document, indent=2, ensure_ascii=False) + "\n", len(components), _unique(skipped))


def _serial(document: dict[str, object]) -> str:
    body = json.dumps({k: v for k, v in document.items() if k != "serialNumber"}, sort_keys=True)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return uuid.uuid5(_SERIAL_NAMESPACE, digest).urn


def _unique(skipped: Iterable[Skipped]) -> tuple[Skipped, ...]:
    return tuple(dict.fromkeys(skipped))
