"""Import a model written with OWASP pytm, from its JSON output (`tm.py --json FILE`).

pytm elements become components (Datastore -> data store, ExternalEntity -> external entity, the
rest processes), Actors actors, Boundaries trust boundaries (nested by inBoundary), Dataflows flows
and Data data assets. A pytm control that is true becomes the matching property; pytm cannot tell
"false" from "not said", so false controls stay unset (secloop's rules assume the worst either way).
pytm's own findings are not imported: secloop derives its threats from the model.
"""

from __future__ import annotations

from typing import Any

from secloop.threatmodel.otm import IdMap

_KIND = {"Datastore": "data-store", "ExternalEntity": "external-entity", "Actor": "actor"}
_CLASSIFICATION = {
    "PUBLIC": "public",
    "UNKNOWN": "internal",
    "RESTRICTED": "internal",
    "SENSITIVE": "confidential",
    "SECRET": "restricted",  # nosec B105
    "TOP_SECRET": "restricted",  # nosec B105
}
# pytm control -> secloop property (true values only)
_CONTROLS = {
    "isHardened": "hardened",
    "sanitizesInput": "input_validation",
    "validatesInput": "input_validation",
    "encodesOutput": "output_encoding",
    "usesParameterizedInput": "parameterized_queries",
    "usesMFA": "mfa",
    "isEncryptedAtRest": "encryption_at_rest",
    "implementsCSRFToken": "csrf_protection",
    "implementsPOLP": "least_privilege",
    "handlesResourceConsumption": "rate_limiting",
    "isResilient": "redundancy",
    "disablesDTD": None,  # no XML entity expansion: nothing to set, the XML rules need xml_parsing
}


def _enum(value: object) -> str:
    return str(value or "").rpartition(".")[2]


def _properties(element: dict[str, Any]) -> dict[str, Any]:
    controls = element.get("controls") or {}
    props: dict[str, Any] = {}
    for control, prop in _CONTROLS.items():
        if prop is not None and controls.get(control) is True:
            props[prop] = True
    if controls.get("hasAccessControl") is True or controls.get("authorizesSource") is True:
        props["authorization"] = "acl"
    if controls.get("authenticatesSource") is True or controls.get("implementsAuthenticationScheme") is True:
        props["authentication"] = str(controls.get("authenticationScheme") or "authenticated").lower()
    if element.get("usesXMLParser") is True:
        props["xml_parsing"] = True
    return props


def pytm_to_model(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The secloop model (plain data) and notes on what could not be taken over."""
    ids = IdMap()
    notes: list[str] = []
    data_assets = []
    processed: dict[str, list[str]] = {}
    for d in raw.get("data") or []:
        ident = ids("data:" + str(d["name"]))
        asset: dict[str, Any] = {
            "id": ident,
            "name": str(d["name"]),
            "classification": _CLASSIFICATION.get(_enum(d.get("classification")), "internal"),
            "privacy": {"pii": bool(d.get("isPII"))},
        }
        if d.get("description"):
            asset["description"] = str(d["description"])
        data_assets.append(asset)
        for name in d.get("processedBy") or []:
            processed.setdefault(str(name), []).append(ident)
    if data_assets:
        notes.append("pytm data has no C-I-A ratings: rate each data asset (cia) with a justification")
    actors: list[dict[str, Any]] = []
    components: list[dict[str, Any]] = []
    members: dict[str, list[str]] = {}
    for element in [*(raw.get("actors") or []), *(raw.get("assets") or [])]:
        name = str(element["name"])
        ident = ids(name)
        cls = str(element.get("__class__", ""))
        if element.get("inBoundary"):
            members.setdefault(str(element["inBoundary"]), []).append(ident)
        if _KIND.get(cls) == "actor":
            actors.append({"id": ident, "name": name})
            continue
        item: dict[str, Any] = {"id": ident, "name": name, "kind": _KIND.get(cls, "process")}
        sql = "SQL" if element.get("isSQL") is True else ""
        technology = " ".join(part for part in (cls, sql, str(element.get("OS") or "")) if part)
        if technology:
            item["technology"] = technology
        if element.get("description"):
            item["description"] = str(element["description"])
        if processed.get(name):
            item["data"] = processed[name]
        props = _properties(element)
        if props:
            item["properties"] = props
        components.append(item)
    known = set(ids.map) - {k for k in ids.map if k.startswith("data:")}
    flows = []
    for f in raw.get("flows") or []:
        if str(f.get("source")) not in known or str(f.get("sink")) not in known:
            notes.append(f"dataflow {f.get('name')}: its source or sink is not an element")
            continue
        controls = f.get("controls") or {}
        flow: dict[str, Any] = {
            "id": ids("flow:" + str(f["name"])),
            "name": str(f["name"]),
            "source": ids(f["source"]),
            "destination": ids(f["sink"]),
        }
        if f.get("protocol"):
            flow["protocol"] = str(f["protocol"]).lower()
        if controls.get("isEncrypted") is True:
            flow["encryption"] = "tls"
        if (
            controls.get("authenticatesSource") is True
            or controls.get("implementsAuthenticationScheme") is True
        ):
            flow["authentication"] = str(controls.get("authenticationScheme") or "authenticated").lower()
        data = [ids("data:" + str(n)) for n in f.get("data") or [] if "data:" + str(n) in ids.map]
        if data:
            flow["data"] = data
        flows.append(flow)
    boundaries = []
    for b in raw.get("boundaries") or []:
        boundary: dict[str, Any] = {
            "id": ids("boundary:" + str(b["name"])),
            "name": str(b["name"]),
            "components": members.get(str(b["name"]), []),
        }
        if b.get("inBoundary"):
            boundary["parent"] = ids("boundary:" + str(b["inBoundary"]))
        boundaries.append(boundary)
    if raw.get("findings"):
        notes.append(
            f"pytm's {len(raw['findings'])} findings: secloop derives its own threats from the model"
        )
    model = {
        "version": 1,
        "system": {
            "name": str(raw.get("name") or "Imported from pytm"),
            **({"description": str(raw["description"])} if raw.get("description") else {}),
            "scope": {"in": [str(raw.get("name") or "the imported system")]},
        },
        "data_assets": data_assets,
        "actors": actors,
        "components": components,
        "flows": flows,
        "trust_boundaries": boundaries,
        "assumptions": [{"text": str(a)} for a in raw.get("assumptions") or [] if str(a).strip()],
    }
    return model, notes
