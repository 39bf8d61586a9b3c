"""SPDX 2.3 JSON from the deps engine's inventory, deterministic like the CycloneDX document.

One package per purl (name, version, purl external reference, LIBRARY purpose) and the repository
as the described APPLICATION package, which DEPENDS_ON the direct dependencies. Licences are not read
from lockfiles, so they are NOASSERTION, as SPDX asks when nothing was determined. The document
namespace is derived from a hash of the rest of the document: the same commit gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

from secloop import __version__
from secloop.core.model import Skipped
from secloop.deps.model import Package
from secloop.deps.sbom import Sbom, _dependency_kind, _timestamp, _unique, purl
from secloop.deps.scan import Inventory

SPDX_VERSION = "SPDX-2.3"
ROOT_ID = "SPDXRef-repository"
_NAMESPACE_BASE = "https://spdx.org/spdxdocs/secloop"
_NAMESPACE_UUID = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/secloop/secloop/spdx")
NOASSERTION = "NOASSERTION"


def spdx_id(ref: str) -> str:
    return "SPDXRef-Package-" + hashlib.sha256(ref.encode("utf-8")).hexdigest()[:20]


def _package(ref: str, found: list[Package]) -> dict[str, object]:
    first = found[0]
    lockfiles = ", ".join(sorted({p.path for p in found}))
    scope = "dev-only" if all(p.dev for p in found) else "runtime"
    return {
        "SPDXID": spdx_id(ref),
        "name": first.name,
        "versionInfo": first.version,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "primaryPackagePurpose": "LIBRARY",
        "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": ref}
        ],
        "comment": f"secloop: {_dependency_kind(found)} {first.ecosystem} dependency ({scope}), "
        f"pinned in {lockfiles}",
    }


def build_spdx(inventory: Inventory, name: str, moment: datetime) -> Sbom:
    """The SPDX 2.3 document of ``inventory`` for the repository called ``name``."""
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
    root = {
        "SPDXID": ROOT_ID,
        "name": name,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "primaryPackagePurpose": "APPLICATION",
    }
    relationships: list[dict[str, str]] = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": ROOT_ID}
    ]
    relationships += [
        {"spdxElementId": ROOT_ID, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": spdx_id(ref)}
        for ref in refs
        if _dependency_kind(grouped[ref]) == "direct"
    ]
    document: dict[str, object] = {
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": "",
        "creationInfo": {
            "created": _timestamp(moment),
            "creators": [f"Tool: secloop-{__version__}"],
        },
        "packages": [root, *(_package(ref, grouped[ref]) for ref in refs)],
        "relationships": relationships,
    }
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()
    safe = "".join(c if c.isalnum() or c in "-._" else "-" for c in name) or "repository"
    document["documentNamespace"] = f"{_NAMESPACE_BASE}/{safe}-{uuid.uuid5(_NAMESPACE_UUID, digest)}"
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return Sbom(text, len(refs), _unique(skipped))
