"""Import an Open Threat Model (OTM) JSON file (or a TM-BOM, or pytm's JSON output) as a secloop model.

OTM (github.com/iriusrisk/OpenThreatModel) describes a project, trust zones, components (nested in
trust zones or other components), data flows, assets with 0-100 C-I-A risk values, and threats
with mitigations attached to components. What secloop cannot take over is said in a comment at the
top of the written model, never dropped silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from secloop.core.errors import Place
from secloop.threatmodel.problems import ModelError, Problem

_STORE = (
    "database",
    "db",
    "store",
    "storage",
    "s3",
    "bucket",
    "queue",
    "cache",
    "redis",
    "sql",
    "dynamo",
    "blob",
)
_EXTERNAL = ("external", "user", "client", "browser", "mobile", "saas", "third", "actor", "partner")
_STRIDE = {
    "spoofing": "spoofing",
    "tampering": "tampering",
    "repudiation": "repudiation",
    "information disclosure": "information-disclosure",
    "denial of service": "denial-of-service",
    "elevation of privilege": "elevation-of-privilege",
}
_PROTOCOLS = (
    "https",
    "http",
    "grpc",
    "tls",
    "mtls",
    "ssh",
    "sftp",
    "amqp",
    "kafka",
    "mqtt",
    "postgresql",
    "mysql",
)


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._:/-]+", "-", text).strip("-._:/")
    return slug or "x"


def _rating(value: object) -> str:
    number = value if isinstance(value, int | float) else 0
    return "critical" if number >= 75 else "high" if number >= 50 else "medium" if number >= 25 else "low"


def _severity(value: object) -> str:
    return {"critical": "critical", "high": "high", "medium": "medium"}.get(_rating(value), "low")


def _kind(component: dict[str, Any]) -> str:
    text = " ".join([str(component.get("type", "")), *map(str, component.get("tags") or [])]).lower()
    if any(word in text for word in _STORE):
        return "data-store"
    if any(word in text for word in _EXTERNAL):
        return "external-entity"
    return "process"


class IdMap:
    """OTM ids are free text; secloop ids are restricted, so map them one to one."""

    def __init__(self) -> None:
        self.map: dict[str, str] = {}
        self.used: set[str] = set()

    def __call__(self, raw: object) -> str:
        key = str(raw)
        if key not in self.map:
            base = _slug(key)
            ident, n = base, 2
            while ident in self.used:
                ident, n = f"{base}-{n}", n + 1
            self.used.add(ident)
            self.map[key] = ident
        return self.map[key]


def _asset(raw: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    risk = raw.get("risk") or {}
    cia = {
        axis: {
            "rating": _rating(risk.get(axis)),
            "justification": str(risk.get("comment") or f"OTM {axis} {risk.get(axis, 0)}"),
        }
        for axis in ("confidentiality", "integrity", "availability")
    }
    confidentiality = risk.get("confidentiality", 0)
    number = confidentiality if isinstance(confidentiality, int | float) else 0
    asset: dict[str, Any] = {
        "id": ids(raw["id"]),
        "name": str(raw.get("name") or raw["id"]),
        "classification": "restricted" if number >= 75 else "confidential" if number >= 50 else "internal",
        "cia": cia,
    }
    if raw.get("description"):
        asset["description"] = str(raw["description"])
    return asset


def _threats(
    raw: dict[str, Any], components: list[dict[str, Any]], ids: IdMap
) -> tuple[list[dict[str, Any]], list[str]]:
    catalogue = {str(t["id"]): t for t in raw.get("threats") or [] if isinstance(t, dict) and "id" in t}
    mitigations = {str(m["id"]): m for m in raw.get("mitigations") or [] if isinstance(m, dict) and "id" in m}
    out: list[dict[str, Any]] = []
    notes: list[str] = []
    for component in components:
        for instance in component.get("threats") or []:
            threat = catalogue.get(str(instance.get("threat")))
            if threat is None:
                notes.append(
                    f"component {component['id']}: threat {instance.get('threat')!r} is not in threats[]"
                )
                continue
            category = next(
                (_STRIDE[c.lower()] for c in threat.get("categories") or [] if str(c).lower() in _STRIDE),
                "tampering",
            )
            entry: dict[str, Any] = {
                "id": ids("threat:" + str(threat["id"]) + ":" + str(component["id"])),
                "target": ids(component["id"]),
                "title": str(threat.get("name") or threat["id"]),
                "category": category,
                "severity": _severity((threat.get("risk") or {}).get("impact")),
            }
            cwes = ", ".join(str(c) for c in threat.get("cwes") or [])
            text = " ".join(
                part for part in (str(threat.get("description") or ""), f"({cwes})" if cwes else "") if part
            )
            if text:
                entry["description"] = text
            done = [
                mitigations[str(m.get("mitigation"))]
                for m in instance.get("mitigations") or []
                if str(m.get("mitigation")) in mitigations
                and str(m.get("state", "")).lower() in ("implemented", "mitigated")
            ]
            state = str(instance.get("state", "")).lower()
            if done or state in ("mitigated", "implemented"):
                entry["status"] = "mitigated"
                entry["mitigations"] = [{"description": str(m.get("name") or m["id"])} for m in done] or [
                    {"description": f"OTM state {instance.get('state')}"}
                ]
            elif state in ("not-applicable", "not applicable", "notapplicable"):
                entry["status"] = "not-applicable"
                entry["reason"] = "not applicable in the OTM model"
            out.append(entry)
    return out, notes


def otm_to_model(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The secloop model (plain data) and notes on what could not be taken over."""
    ids = IdMap()
    project = raw.get("project") or {}
    notes: list[str] = []
    zones = [z for z in raw.get("trustZones") or [] if isinstance(z, dict) and "id" in z]
    components = [c for c in raw.get("components") or [] if isinstance(c, dict) and "id" in c]
    zone_of: dict[str, str] = {}
    parent_of = {str(c["id"]): c.get("parent") or {} for c in components}
    for c in components:
        seen: set[str] = set()
        current: dict[str, Any] = parent_of[str(c["id"])]
        while "component" in current and str(current["component"]) not in seen:
            seen.add(str(current["component"]))
            current = parent_of.get(str(current["component"]), {})
        if "trustZone" in current:
            zone_of[str(c["id"])] = str(current["trustZone"])
    assets = [_asset(a, ids) for a in raw.get("assets") or [] if isinstance(a, dict) and "id" in a]
    asset_ids = {str(a["id"]) for a in raw.get("assets") or [] if isinstance(a, dict) and "id" in a}
    model_components = []
    for c in components:
        used = (c.get("assets") or {}) if isinstance(c.get("assets"), dict) else {}
        data = [
            ids(a)
            for a in [*(used.get("processed") or []), *(used.get("stored") or [])]
            if str(a) in asset_ids
        ]
        item: dict[str, Any] = {"id": ids(c["id"]), "name": str(c.get("name") or c["id"]), "kind": _kind(c)}
        if c.get("type"):
            item["technology"] = str(c["type"])
        if c.get("description"):
            item["description"] = str(c["description"])
        if data:
            item["data"] = list(dict.fromkeys(data))
        model_components.append(item)
    known = {str(c["id"]) for c in components}
    flows = []
    for f in raw.get("dataflows") or []:
        if (
            not isinstance(f, dict)
            or str(f.get("source")) not in known
            or str(f.get("destination")) not in known
        ):
            shown = f.get("id") if isinstance(f, dict) else f
            notes.append(f"dataflow {shown}: its source or destination is not a component")
            continue
        flow: dict[str, Any] = {
            "id": ids("flow:" + str(f.get("id", f"{f['source']}->{f['destination']}"))),
            "name": str(f.get("name") or f.get("id")),
            "source": ids(f["source"]),
            "destination": ids(f["destination"]),
        }
        tags = [str(t).lower() for t in f.get("tags") or []]
        protocol = next((t for t in tags if t in _PROTOCOLS), None)
        if protocol:
            flow["protocol"] = protocol
        data = [ids(a) for a in f.get("assets") or [] if str(a) in asset_ids]
        if data:
            flow["data"] = data
        if f.get("bidirectional"):
            notes.append(f"dataflow {f.get('id')}: bidirectional; only source -> destination is modelled")
        flows.append(flow)
    boundaries = []
    for z in zones:
        members = [ids(c) for c, zone in zone_of.items() if zone == str(z["id"])]
        boundary: dict[str, Any] = {
            "id": ids("zone:" + str(z["id"])),
            "name": str(z.get("name") or z["id"]),
            "components": members,
        }
        parent = z.get("parent") or {}
        if "trustZone" in parent:
            boundary["parent"] = ids("zone:" + str(parent["trustZone"]))
        boundaries.append(boundary)
    threats, threat_notes = _threats(raw, components, ids)
    notes += threat_notes
    if raw.get("representations"):
        notes.append("representations (diagram positions)")
    model = {
        "version": 1,
        "system": {
            "name": str(project.get("name") or "Imported from OTM"),
            **({"description": str(project["description"])} if project.get("description") else {}),
            "scope": {"in": [str(project.get("name") or "the imported system")]},
        },
        "data_assets": assets,
        "components": model_components,
        "flows": flows,
        "trust_boundaries": boundaries,
        "threats": threats,
    }
    return model, notes


def import_model(path: Path) -> str:
    """The YAML text of a secloop model made from an OTM file, a TM-BOM, pytm's JSON output or a
    Threagile model (validated by the caller); the format is told by its keys. A text that starts
    with '{' or '[' is read as JSON, any other as YAML (with lines kept for errors)."""
    from secloop.threatmodel.pytm_import import pytm_to_model  # it builds on IdMap above
    from secloop.threatmodel.threagile import is_threagile, read_yaml, threagile_to_model
    from secloop.threatmodel.tmbom import is_tmbom, tmbom_to_model

    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ModelError([Problem(Place(str(path)), "the file to import does not exist")]) from None
    except UnicodeDecodeError as exc:
        raise ModelError([Problem(Place(str(path)), f"not UTF-8 text (byte {exc.start})")]) from None
    root = None
    if text.lstrip()[:1] in ("{", "["):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(
                [Problem(Place(str(path), exc.lineno, exc.colno), f"not JSON: {exc.msg}")]
            ) from None
    else:
        raw, root = read_yaml(text, str(path))
    if isinstance(raw, dict) and "otmVersion" in raw:
        model, notes = otm_to_model(raw)
        origin = f"OTM {raw['otmVersion']}"
    elif isinstance(raw, dict) and is_tmbom(raw):
        model, notes = tmbom_to_model(raw)
        origin = f"TM-BOM {raw.get('version', '')}".rstrip()
    elif isinstance(raw, dict) and "flows" in raw and ("assets" in raw or "elements" in raw):
        model, notes = pytm_to_model(raw)
        origin = "pytm JSON"
    elif isinstance(raw, dict) and is_threagile(raw):
        model, notes = threagile_to_model(raw, root, str(path))
        origin = f"Threagile {raw.get('threagile_version') or ''}".rstrip()
    else:
        raise ModelError(
            [
                Problem(
                    Place(str(path)),
                    "neither an Open Threat Model file, a TM-BOM, pytm's JSON output nor a Threagile model",
                    expected="a JSON object with otmVersion (OTM), with scope, trust_zones and data_flows "
                    "(TM-BOM), or with flows and assets (pytm --json); or YAML with technical_assets "
                    "(Threagile)",
                )
            ]
        )
    head = [f"# Imported from {path.name} ({origin}) by `secloop threatmodel import`."]
    head += [f"# Not imported: {note}" for note in notes]
    head.append(
        "# Review the C-I-A ratings, protocols and component properties before relying on the threats."
    )
    return "\n".join(head) + "\n" + yaml.safe_dump(model, sort_keys=False, allow_unicode=True, width=100)
