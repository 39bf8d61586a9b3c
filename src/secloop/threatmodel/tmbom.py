"""Import a TM-BOM JSON file (the OWASP Threat Model Library schema, aligned with CycloneDX TM-BOM).

A TM-BOM names everything by symbolic name: a scope, trust zones and the boundaries between them,
actors, components and data stores (each in a trust zone), data sets placed on data stores, data
flows between typed references, assumptions, threat personas, threats (with CWE and CAPEC refs),
controls that address threats, risks (likelihood x impact score) and mitigation plans. What has
no place in a secloop model is named in the notes, never dropped silently.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from secloop.threatmodel.otm import IdMap

_RESTRICTED = {"phi", "pci", "cred"}
_CONFIDENTIAL = {"pii", "fin", "ip", "gov"}
_CATEGORY = (
    ("spoof", "spoofing"),
    ("impersonat", "spoofing"),
    ("repudiat", "repudiation"),
    ("denial", "denial-of-service"),
    ("exhaust", "denial-of-service"),
    ("privilege", "elevation-of-privilege"),
    ("escalat", "elevation-of-privilege"),
    ("disclos", "information-disclosure"),
    ("leak", "information-disclosure"),
    ("exfiltrat", "information-disclosure"),
    ("tamper", "tampering"),
    ("inject", "tampering"),
)
_IMPACT = {"severe": "critical", "major": "high", "moderate": "medium", "minor": "low", "negligible": "low"}
_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def is_tmbom(raw: object) -> bool:
    return isinstance(raw, dict) and all(key in raw for key in ("scope", "trust_zones", "data_flows"))


def _items(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [item for item in raw.get(key) or [] if isinstance(item, dict) and item.get("symbolic_name")]


def _classification(sensitivity: list[str]) -> str:
    kinds = set(sensitivity)
    return "restricted" if kinds & _RESTRICTED else "confidential" if kinds & _CONFIDENTIAL else "internal"


def _category(threat: dict[str, Any]) -> str:
    text = f"{threat.get('title', '')} {threat.get('event', '')} {threat.get('description', '')}".lower()
    return next((category for word, category in _CATEGORY if word in text), "tampering")


def _severity(risk: dict[str, Any]) -> str:
    score = risk.get("score")
    if isinstance(score, int):  # 1-25: likelihood x impact, each 1-5
        return "critical" if score >= 20 else "high" if score >= 12 else "medium" if score >= 6 else "low"
    return _IMPACT.get(str(risk.get("impact")), "medium")


def _day(value: object) -> str | None:
    text = str(value or "")
    try:
        return (datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)).isoformat()
    except ValueError:
        return None


def _system(raw: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    found = raw.get("scope")
    scope: dict[str, Any] = found if isinstance(found, dict) else {}
    title = str(scope.get("title") or "Imported from TM-BOM")
    system: dict[str, Any] = {"name": title}
    description = raw.get("description") or scope.get("description")
    if description:
        system["description"] = str(description)
    system["scope"] = {"in": [str(scope.get("description") or title)]}
    reviewed = _day(raw.get("reviewed_at"))
    if reviewed:
        system["reviewed"] = reviewed
    kept = [f"{key} {scope[key]}" for key in ("business_criticality", "exposure", "tier") if scope.get(key)]
    if kept:
        notes.append("scope " + ", ".join(kept) + " (secloop derives criticality from the data assets)")
    return system


def _assets(
    raw: dict[str, Any], ids: IdMap, notes: list[str]
) -> tuple[list[dict[str, Any]], dict[str, list[str]], dict[str, bool]]:
    assets: list[dict[str, Any]] = []
    placed: dict[str, list[str]] = {}  # data store -> data sets on it
    encrypted: dict[str, bool] = {}  # data store -> every placement on it encrypted
    for item in _items(raw, "data_sets"):
        sensitivity = [str(s) for s in item.get("data_sensitivity") or []]
        asset: dict[str, Any] = {
            "id": ids(item["symbolic_name"]),
            "name": str(item.get("title") or item["symbolic_name"]),
            "classification": _classification(sensitivity),
        }
        if item.get("description"):
            asset["description"] = str(item["description"])
        pii, special = bool({"pii", "phi"} & set(sensitivity)), "phi" in sensitivity
        if pii or special:
            asset["privacy"] = {"pii": pii, "special_category": special}
        assets.append(asset)
        extra = [k.replace("_", " ") for k in ("record_count", "access_control_methods") if item.get(k)]
        if extra:
            notes.append(f"data set {item['symbolic_name']}: {', '.join(extra)}")
        for placement in item.get("placements") or []:
            store = str(placement.get("data_store", "")) if isinstance(placement, dict) else ""
            if store:
                placed.setdefault(store, []).append(asset["id"])
                if isinstance(placement.get("encrypted"), bool):
                    encrypted[store] = encrypted.get(store, True) and placement["encrypted"]
    return assets, placed, encrypted


def _elements(
    raw: dict[str, Any],
    ids: IdMap,
    placed: dict[str, list[str]],
    encrypted: dict[str, bool],
    notes: list[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    actors: list[dict[str, Any]] = []
    components: list[dict[str, Any]] = []
    zone_of: dict[str, str] = {}
    for item in _items(raw, "actors"):
        actor: dict[str, Any] = {
            "id": ids(item["symbolic_name"]),
            "name": str(item.get("title") or item["symbolic_name"]),
        }
        if item.get("description"):
            actor["description"] = str(item["description"])
        actors.append(actor)
        if item.get("permissions"):
            notes.append(f"actor {item['symbolic_name']}: permissions")
        zone_of[actor["id"]] = str(item.get("trust_zone", ""))
    for item in _items(raw, "components"):
        component: dict[str, Any] = {
            "id": ids(item["symbolic_name"]),
            "name": str(item.get("title") or item["symbolic_name"]),
            "kind": "process",
        }
        if item.get("description"):
            component["description"] = str(item["description"])
        if item.get("parent_component"):
            notes.append(f"component {item['symbolic_name']}: parent component {item['parent_component']}")
        if item.get("repo_link"):
            notes.append(f"component {item['symbolic_name']}: repository link {item['repo_link']}")
        components.append(component)
        zone_of[component["id"]] = str(item.get("trust_zone", ""))
    for item in _items(raw, "data_stores"):
        name = str(item["symbolic_name"])
        store: dict[str, Any] = {
            "id": ids(name),
            "name": str(item.get("title") or name),
            "kind": "data-store",
        }
        technology = " ".join(str(item[k]) for k in ("vendor", "product") if item.get(k)) or item.get("type")
        if technology:
            store["technology"] = str(technology)
        if item.get("description"):
            store["description"] = str(item["description"])
        if placed.get(name):
            store["data"] = placed[name]
        if name in encrypted:
            store["properties"] = {"encryption_at_rest": encrypted[name]}
        components.append(store)
        zone_of[store["id"]] = str(item.get("trust_zone", ""))
    return actors, components, zone_of


def _authentication(raw: dict[str, Any]) -> dict[frozenset[str], str]:
    """Between two trust zones: the first authentication method other than 'none', else 'none'."""
    out: dict[frozenset[str], str] = {}
    for b in raw.get("trust_boundaries") or []:
        if not isinstance(b, dict) or not b.get("authentication_methods"):
            continue
        methods = [str(m) for m in b["authentication_methods"]]
        out[frozenset((str(b.get("trust_zone_a")), str(b.get("trust_zone_b"))))] = next(
            (m for m in methods if m != "none"), "none"
        )
    return out


def _flows(
    raw: dict[str, Any], ids: IdMap, zone_of: dict[str, str], placed: dict[str, list[str]], notes: list[str]
) -> list[dict[str, Any]]:
    auth = _authentication(raw)
    flows: list[dict[str, Any]] = []
    for item in _items(raw, "data_flows"):
        name = str(item["symbolic_name"])
        ends = [item.get(k) for k in ("source", "destination")]
        objects = [str(e.get("object")) if isinstance(e, dict) else "" for e in ends]
        if not all(o and o in ids.map and ids.map[o] in zone_of for o in objects):
            notes.append(
                f"data flow {name}: its source or destination is not an actor, component or data store"
            )
            continue
        source, destination = (ids.map[o] for o in objects)
        flow: dict[str, Any] = {"id": ids("flow:" + name), "name": str(item.get("title") or name)}
        if item.get("description"):
            flow["description"] = str(item["description"])
        flow |= {"source": source, "destination": destination}
        if isinstance(item.get("encrypted"), bool):
            flow["encryption"] = "tls" if item["encrypted"] else "none"
        zones = frozenset((zone_of[source], zone_of[destination]))
        if len(zones) == 2 and zones in auth:
            flow["authentication"] = auth[zones]
        if item.get("has_sensitive_data"):
            data = list(dict.fromkeys(a for o in objects for a in placed.get(o, [])))
            if data:
                flow["data"] = data
            else:
                notes.append(
                    f"data flow {name}: carries sensitive data, but the TM-BOM does not say which data set"
                )
        flows.append(flow)
    return flows


def _threats(raw: dict[str, Any], ids: IdMap, notes: list[str]) -> list[dict[str, Any]]:
    severity: dict[str, str] = {}
    for risk in _items(raw, "risks"):
        for threat in risk.get("threats") or []:
            level = _severity(risk)
            if str(threat) not in severity or _RANK[level] > _RANK[severity[str(threat)]]:
                severity[str(threat)] = level
    controls: dict[str, list[dict[str, Any]]] = {}
    for control in _items(raw, "controls"):
        for threat in control.get("threats") or []:
            controls.setdefault(str(threat), []).append(control)
    out: list[dict[str, Any]] = []
    for threat in _items(raw, "threats"):
        name = str(threat["symbolic_name"])
        affected = [str(c) for c in threat.get("components_affected") or [] if str(c) in ids.map]
        if not affected:
            notes.append(f"threat {name}: it affects no actor, component or data store of the model")
            continue
        refs = [
            f"CWE-{w['cwe_id']}"
            for w in threat.get("weaknesses") or []
            if isinstance(w, dict) and "cwe_id" in w
        ]
        refs += [
            f"CAPEC-{m['capec_id']}"
            for m in threat.get("attack_mechanisms") or []
            if isinstance(m, dict) and "capec_id" in m
        ]
        text = " ".join(
            part
            for part in (str(threat.get("description") or ""), f"({', '.join(refs)})" if refs else "")
            if part
        )
        linked = controls.get(name, [])
        active = [c for c in linked if c.get("status") == "active"]
        for target in affected:
            entry: dict[str, Any] = {
                "id": ids(f"threat:{name}:{target}"),
                "target": ids.map[target],
                "title": str(threat.get("title") or name),
                "category": _category(threat),
            }
            if name in severity:
                entry["severity"] = severity[name]
            if text:
                entry["description"] = text
            if active:
                entry["status"] = "mitigated"
            if linked:
                entry["mitigations"] = [
                    {
                        "description": str(c.get("title") or c["symbolic_name"])
                        + (
                            ""
                            if c.get("status") == "active"
                            else f" (TM-BOM control status: {c.get('status')})"
                        )
                    }
                    for c in linked
                ]
            out.append(entry)
    return out


def tmbom_to_model(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The secloop model (plain data) and notes on what could not be taken over."""
    ids = IdMap()
    notes: list[str] = []
    system = _system(raw, notes)
    assets, placed, encrypted = _assets(raw, ids, notes)
    if assets:
        notes.append("C-I-A ratings: a TM-BOM has none; add cia to each data asset")
    actors, components, zone_of = _elements(raw, ids, placed, encrypted, notes)
    flows = _flows(raw, ids, zone_of, placed, notes)
    boundaries = []
    for zone in _items(raw, "trust_zones"):
        boundary: dict[str, Any] = {
            "id": ids("zone:" + str(zone["symbolic_name"])),
            "name": str(zone.get("title") or zone["symbolic_name"]),
        }
        if zone.get("description"):
            boundary["description"] = str(zone["description"])
        boundary["components"] = [e for e, z in zone_of.items() if z == str(zone["symbolic_name"])]
        boundaries.append(boundary)
    assumptions = []
    for item in raw.get("assumptions") or []:
        if not isinstance(item, dict) or not item.get("description"):
            continue
        if item.get("validity") == "rejected":
            notes.append(f"assumption {item['description']!r}: rejected in the TM-BOM")
            continue
        assumptions.append({"text": str(item["description"])})
    threats = _threats(raw, ids, notes)
    for key, what in (
        ("threat_personas", "threat personas"),
        ("mitigation_plans", "mitigation plans"),
        ("diagrams", "diagrams"),
    ):
        if raw.get(key):
            notes.append(f"{what} ({len(raw[key])})")
    if _items(raw, "risks"):
        notes.append("risks: likelihood and impact descriptions (their score sets the threats' severity)")
    for b in raw.get("trust_boundaries") or []:
        if isinstance(b, dict) and any(k.startswith(("access_", "refresh_", "has_", "can_")) for k in b):
            notes.append(
                f"trust boundary {b.get('trust_zone_a')}-{b.get('trust_zone_b')}: "
                "access control and token lifetimes"
            )
    model: dict[str, Any] = {
        "version": 1,
        "system": system,
        "data_assets": assets,
        "actors": actors,
        "components": components,
        "flows": flows,
        "trust_boundaries": boundaries,
        "assumptions": assumptions,
        "threats": threats,
    }
    return model, notes
