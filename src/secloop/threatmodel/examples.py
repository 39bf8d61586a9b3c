"""A rule's positive, negative and mitigated examples as small, real models.

Each example names only what matters to the rule; the rest is filled in here, so an example runs
through the same loading, facts and analysis as a user's model. Ids in the built model: the element
under test is `target` (component rules) or the flow `f` from `src` to `dst` (flow rules).
"""

from __future__ import annotations

from typing import Any

from secloop.threatmodel.rulebook import DataSpec, ElementSpec, Example, FlowSpec, ThreatRule

TARGET = "target"
FLOW = "f"


def _asset(i: int, spec: DataSpec) -> dict[str, Any]:
    def requirement(rating: str) -> dict[str, str]:
        return {"rating": rating, "justification": "example"}

    asset: dict[str, Any] = {
        "id": f"asset-{i}",
        "classification": spec.classification,
        "cia": {
            "confidentiality": requirement(spec.confidentiality),
            "integrity": requirement(spec.integrity),
            "availability": requirement(spec.availability),
        },
        "privacy": {"pii": spec.pii, "special_category": spec.special_category},
    }
    if spec.retention is not None:
        asset["privacy"]["retention"] = spec.retention
    return asset


def _endpoint(ident: str, spec: ElementSpec, data: list[str]) -> tuple[str, dict[str, Any]]:
    if spec.kind == "actor":
        return "actors", {"id": ident, "trusted": spec.trusted}
    element: dict[str, Any] = {"id": ident, "kind": spec.kind, "data": data}
    if spec.technology is not None:
        element["technology"] = spec.technology
    if spec.properties:
        element["properties"] = dict(spec.properties)
    return "components", element


def example_model(rule: ThreatRule, example: Example) -> dict[str, Any]:
    """The model (as plain data, ready for `ThreatModel.model_validate`) for one example."""
    assets = [_asset(i, spec) for i, spec in enumerate(example.data)]
    ids = [a["id"] for a in assets]
    doc: dict[str, Any] = {
        "system": {"name": f"example for {rule.id}", "scope": {"in": ["the example"]}},
        "data_assets": assets,
        "actors": [],
        "components": [],
        "flows": [],
        "trust_boundaries": [],
    }
    if rule.spec.applies_to == "flow":
        for ident, spec in (("src", example.source), ("dst", example.destination)):
            section, element = _endpoint(ident, spec or ElementSpec(), [])
            doc[section].append(element)
        flow = (example.flow or FlowSpec()).model_dump(exclude_none=True)
        doc["flows"].append({"id": FLOW, "source": "src", "destination": "dst", "data": ids, **flow})
        inside = ["dst"] if example.crosses_boundary else ["src", "dst"]
        doc["trust_boundaries"].append({"id": "inside", "components": inside})
        return doc
    default_kind = rule.spec.applies_to if rule.spec.applies_to != "component" else "process"
    spec = example.target or ElementSpec(kind=default_kind)
    section, element = _endpoint(TARGET, spec, ids)
    doc[section].append(element)
    doc["trust_boundaries"].append({"id": "inside", "components": [TARGET]})
    if example.exposed:
        doc["actors"].append({"id": "visitor", "trusted": False})
        doc["flows"].append({"id": "visit", "source": "visitor", "destination": TARGET, "protocol": "https"})
    return doc


def target_key(rule: ThreatRule) -> str:
    return f"flow:{FLOW}" if rule.spec.applies_to == "flow" else f"component:{TARGET}"
