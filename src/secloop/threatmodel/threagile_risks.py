"""Threagile's individual risk categories (hand-written risks) and its risk tracking.

An identified risk becomes a hand-written threat on its most relevant element; a tracking entry
(matched by Threagile's risk id, where '*' stands for a whole @-part) that says mitigated or
false-positive becomes the threat's decision. Tracking of the risks Threagile's own rules find has
no counterpart: secloop finds its own threats, so those entries are notes.
"""

from __future__ import annotations

from typing import Any

from secloop.threatmodel.threagile_read import Loc, Reader, plain, slug, unmapped

_STRIDE = (
    "spoofing",
    "tampering",
    "repudiation",
    "information-disclosure",
    "denial-of-service",
    "elevation-of-privilege",
)
_SEVERITY = {"low": "low", "medium": "medium", "elevated": "high", "high": "high", "critical": "critical"}
_TRACKING = ("unchecked", "in-discussion", "accepted", "in-progress", "mitigated", "false-positive")
_CATEGORY_KEYS = frozenset({"id", "description", "stride", "cwe", "risks_identified"})
_RISK_KEYS = frozenset(
    {
        "severity",
        "most_relevant_data_asset",
        "most_relevant_technical_asset",
        "most_relevant_communication_link",
        "most_relevant_trust_boundary",
        "most_relevant_shared_runtime",
    }
)


def _match(pattern: str, synthetic: str) -> bool:
    """Risk tracking keys may put '*' for a whole @-part."""
    want, have = pattern.split("@"), synthetic.split("@")
    return len(want) == len(have) and all(w in ("*", h) for w, h in zip(want, have, strict=True))


def tracking_of(r: Reader, raw: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    out = []
    for key, item in r.entries(raw, "risk_tracking"):
        status = r.choice(item, ("risk_tracking", key), "status", _TRACKING)
        if status is not None:
            out.append((key, item, status))
    return out


def _decide(entry: dict[str, Any], key: str, item: dict[str, Any], status: str, notes: list[str]) -> None:
    """Apply a tracked decision to a hand-written threat."""
    why = plain(item.get("justification") or "")
    said = ", ".join(
        part
        for part in (
            f"ticket {item['ticket']}" if item.get("ticket") else "",
            f"checked by {plain(item['checked_by'])}" if item.get("checked_by") else "",
            f"on {item['date']}" if item.get("date") else "",
        )
        if part
    )
    text = " ".join(part for part in (why, f"({said})" if said else "") if part)
    if item.get("checked_by"):
        entry["owner"] = plain(item["checked_by"])
    if status == "mitigated":
        entry["status"] = "mitigated"
        entry["mitigations"] = [{"description": text or "mitigated in Threagile"}]
    elif status == "false-positive":
        entry["status"] = "not-applicable"
        entry["reason"] = text or "a false positive in Threagile"
    else:
        extra = (
            " (secloop needs an expiry: set status accepted, reason and expires)"
            if status == "accepted"
            else ""
        )
        notes.append(f"risk tracking {key}: {status}{extra}")


def threats_of(
    r: Reader,
    raw: dict[str, Any],
    targets: dict[str, dict[str, str]],
    tracking: list[tuple[str, dict[str, Any], str]],
    notes: list[str],
) -> list[dict[str, Any]]:
    used: set[str] = set()
    threats: list[dict[str, Any]] = []
    for name, category in r.entries(raw, "individual_risk_categories"):
        loc: Loc = ("individual_risk_categories", name)
        cat_id = r.ident(category, loc)
        stride = category.get("stride")
        if stride is not None:
            stride = r.choice(category, loc, "stride", _STRIDE)
        rest = unmapped(category, _CATEGORY_KEYS | {"id"})
        if rest:
            notes.append(f"individual risk category {cat_id}: {', '.join(rest)}")
        risks = category.get("risks_identified") or {}
        if cat_id is None or not isinstance(risks, dict):
            continue
        refs = f"(CWE-{category['cwe']})" if category.get("cwe") else ""
        description = " ".join(p for p in (plain(category.get("description") or ""), refs) if p)
        for title, risk in risks.items():
            risk_loc: Loc = (*loc, "risks_identified", str(title))
            if not isinstance(risk, dict):
                r.error(
                    risk_loc,
                    "expected a mapping of keys",
                    "severity: ..., most_relevant_technical_asset: ...",
                )
                continue
            severity = r.choice(risk, risk_loc, "severity", _SEVERITY)
            parts = [
                str(risk[k])
                for k in (
                    "most_relevant_technical_asset",
                    "most_relevant_communication_link",
                    "most_relevant_trust_boundary",
                    "most_relevant_shared_runtime",
                    "most_relevant_data_asset",
                )
                if risk.get(k)
            ]
            synthetic = "@".join([cat_id, *parts])
            target = next((targets[kind][p] for p in parts for kind in targets if p in targets[kind]), None)
            if target is None or severity is None:
                if severity is not None:
                    runtime = risk.get("most_relevant_shared_runtime")
                    why = "a shared runtime (secloop has none)" if runtime else "no element of the model"
                    notes.append(f"risk {synthetic}: it is about {why}")
                continue
            entry: dict[str, Any] = {
                "id": slug(synthetic.replace("@", ":").replace(">", "/")),
                "target": target,
                "title": plain(title),
                "category": stride or "tampering",
                "severity": _SEVERITY[severity],
            }
            if description:
                entry["description"] = description
            rest = unmapped(risk, _RISK_KEYS)
            if rest:
                notes.append(f"risk {synthetic}: {', '.join(rest)}")
            decision = next((t for t in tracking if t[0] == synthetic), None) or next(
                (t for t in tracking if _match(t[0], synthetic)), None
            )
            if decision is not None:
                used.add(decision[0])
                _decide(entry, *decision, notes)
            threats.append(entry)
    for key, _, status in tracking:
        if key not in used:
            notes.append(
                f"risk tracking {key}: {status} "
                "(a risk of Threagile's own rules; secloop finds its own threats)"
            )
    return threats
