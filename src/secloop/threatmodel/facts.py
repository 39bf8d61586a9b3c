"""What rules can see of an element: a flat set of named facts, computed once per element.

Rules never read the model directly; they test these facts. A fact that the model does not state is
None, and conditions treat it as unknown: it never equals a value, never is `in` a list and never is
`at_least` a level, but it does satisfy `not_equals` and `not_in` (rules assume the worst).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from secloop.threatmodel.schema import (
    CLASSIFICATION_RANK,
    PROPERTY_NAMES,
    RATING_RANK,
    Classification,
    ComponentKind,
    DataAsset,
    Flow,
    Rating,
    ThreatModel,
)

ENCRYPTED_PROTOCOLS = frozenset(
    {
        *("https", "wss", "tls", "ssh", "sftp", "ftps", "scp", "ldaps", "smtps", "imaps", "pop3s"),
        *("grpcs", "mqtts", "amqps", "rediss", "postgresql+tls", "mysql+tls", "dot", "doh", "ipsec"),
        "wireguard",
    }
)
PLAIN_PROTOCOLS = frozenset(
    {
        *("http", "ws", "ftp", "telnet", "ldap", "smtp", "imap", "pop3", "mqtt", "amqp", "redis"),
        *("tcp", "udp", "snmp", "nfs", "smb", "rsync", "memcached"),
    }
)
HTTP_PROTOCOLS = frozenset(
    {
        "http",
        "https",
        "rest",
        "graphql",
        "soap",
        "http/2",
        "http2",
        "h2",
        "websocket",
        "ws",
        "wss",
        "grpc-web",
    }
)
_NO = frozenset({"none", "no", "false", "anonymous", "plaintext", "cleartext", "unencrypted", "off"})

# Ordered facts: `at_least` and `below` compare by these ranks.
SCALES: dict[str, dict[str, int]] = {
    "max_classification": {c.value: r for c, r in CLASSIFICATION_RANK.items()},
    "max_confidentiality": {r.value: n for r, n in RATING_RANK.items()},
    "max_integrity": {r.value: n for r, n in RATING_RANK.items()},
    "max_availability": {r.value: n for r, n in RATING_RANK.items()},
}

COMPONENT_FACTS: frozenset[str] = frozenset(
    {
        "id",
        "kind",
        "technology",
        "trusted",
        "exposed",
        "untrusted_callers",
        "unauthenticated_callers",
        "in_boundary",
        "handles_pii",
        "handles_special_category",
        "retention_defined",
        *SCALES,
        *PROPERTY_NAMES,
    }
)
FLOW_OWN_FACTS: frozenset[str] = frozenset(
    {
        "id",
        "protocol",
        "method",
        "authentication",
        "encryption",
        "authenticated",
        "encrypted",
        "http",
        "crosses_boundary",
        "carries_pii",
        "carries_special_category",
        "retention_defined",
        "rate_limited",
        "signed",
        "replay_protection",
        "certificate_validation",
        "timeouts",
        *SCALES,
    }
)
FLOW_FACTS: frozenset[str] = FLOW_OWN_FACTS | frozenset(
    f"{side}.{name}" for side in ("source", "destination") for name in COMPONENT_FACTS
)


@dataclass(frozen=True, slots=True)
class Facts:
    own: dict[str, Any]
    source: dict[str, Any] = field(default_factory=dict)
    destination: dict[str, Any] = field(default_factory=dict)


def _lower(text: str | None) -> str | None:
    return text.strip().lower() if text is not None else None


def said_yes(value: str | None) -> bool | None:
    """'none'/'no' -> False, any other stated value -> True, unset -> None."""
    if value is None:
        return None
    return value.strip().lower() not in _NO


def encrypted(flow: Flow) -> bool | None:
    stated = said_yes(flow.encryption)
    if stated is not None:
        return stated
    protocol = _lower(flow.protocol)
    if protocol in ENCRYPTED_PROTOCOLS:
        return True
    if protocol in PLAIN_PROTOCOLS:
        return False
    return None


def _data_facts(assets: Iterable[DataAsset]) -> dict[str, Any]:
    items = list(assets)
    pii = [a for a in items if a.privacy.pii]
    facts: dict[str, Any] = {
        "handles_pii": bool(pii),
        "handles_special_category": any(a.privacy.special_category for a in items),
        "retention_defined": all(a.privacy.retention for a in pii) if pii else None,
        "max_classification": _top(a.classification for a in items),
    }
    for axis in ("confidentiality", "integrity", "availability"):
        facts[f"max_{axis}"] = _top(getattr(a.cia, axis).rating for a in items if a.cia is not None)
    return facts


def _top(values: Iterable[Classification | Rating]) -> str | None:
    best: Classification | Rating | None = None
    for value in values:
        rank = CLASSIFICATION_RANK[value] if isinstance(value, Classification) else RATING_RANK[value]
        if best is None or rank > (
            CLASSIFICATION_RANK[best] if isinstance(best, Classification) else RATING_RANK[best]
        ):
            best = value
    return best.value if best is not None else None


class ModelFacts:
    """Facts of every component, actor and flow of one model, and where the boundaries are."""

    def __init__(self, model: ThreatModel) -> None:
        self.model = model
        self.assets = {a.id: a for a in model.data_assets}
        self.boundary_of: dict[str, str] = {}
        self.parent_of = {b.id: b.parent for b in model.trust_boundaries}
        for boundary in model.trust_boundaries:
            for member in boundary.components:
                self.boundary_of.setdefault(member, boundary.id)
        carried: dict[str, set[str]] = defaultdict(set)
        for flow in model.flows:
            carried[flow.source].update(flow.data)
            carried[flow.destination].update(flow.data)
        self.endpoints: dict[str, dict[str, Any]] = {}
        for actor in model.actors:
            self.endpoints[actor.id] = {
                "id": actor.id,
                "kind": "actor",
                "trusted": actor.trusted,
                "in_boundary": actor.id in self.boundary_of,
                **_data_facts(self.assets[d] for d in sorted(carried[actor.id]) if d in self.assets),
            }
        for component in model.components:
            data = set(component.data) | carried[component.id]
            facts: dict[str, Any] = {
                k: _lower(v) if isinstance(v, str) else v
                for k, v in component.properties.model_dump().items()
            }
            facts.update(
                {
                    "id": component.id,
                    "kind": component.kind.value,
                    "technology": _lower(component.technology),
                    "trusted": component.kind is not ComponentKind.EXTERNAL_ENTITY,
                    "in_boundary": component.id in self.boundary_of,
                    **_data_facts(self.assets[d] for d in sorted(data) if d in self.assets),
                }
            )
            self.endpoints[component.id] = facts
        self.flow_facts: dict[str, Facts] = {}
        exposed: set[str] = set()
        untrusted: set[str] = set()
        unauthenticated: set[str] = set()
        for flow in model.flows:
            own = self._flow(flow)
            source = self.endpoints.get(flow.source, {})
            if source.get("trusted") is False:
                untrusted.add(flow.destination)
            if source.get("trusted") is False or (
                own["crosses_boundary"] and not self._encloses(flow.source, flow.destination)
            ):
                exposed.add(flow.destination)
                if own["authenticated"] is not True:
                    unauthenticated.add(flow.destination)
            self.flow_facts[flow.key] = Facts(own, source, self.endpoints.get(flow.destination, {}))
        for ident, facts in self.endpoints.items():
            facts["exposed"] = bool(facts.get("internet_facing")) or ident in exposed
            facts["untrusted_callers"] = ident in untrusted
            facts["unauthenticated_callers"] = ident in unauthenticated

    def _encloses(self, outer: str, inner: str) -> bool:
        """Whether ``outer``'s boundary contains ``inner``'s (a call inward from an enclosing boundary)."""
        around = self.boundary_of.get(outer)
        current = self.boundary_of.get(inner)
        seen: set[str] = set()
        while current is not None and current not in seen:
            if current == around:
                return True
            seen.add(current)
            current = self.parent_of.get(current)
        return False

    def crosses(self, flow: Flow) -> bool:
        return self.boundary_of.get(flow.source) != self.boundary_of.get(flow.destination)

    def _flow(self, flow: Flow) -> dict[str, Any]:
        assets = [self.assets[d] for d in flow.data if d in self.assets]
        data = _data_facts(assets)
        protocol = _lower(flow.protocol)
        return {
            "id": flow.key,
            "protocol": protocol,
            "method": flow.method,
            "authentication": _lower(flow.authentication),
            "encryption": _lower(flow.encryption),
            "authenticated": said_yes(flow.authentication),
            "encrypted": encrypted(flow),
            "http": protocol in HTTP_PROTOCOLS if protocol is not None else None,
            "crosses_boundary": self.crosses(flow),
            "carries_pii": data.pop("handles_pii"),
            "carries_special_category": data.pop("handles_special_category"),
            "rate_limited": flow.rate_limited,
            "signed": flow.signed,
            "replay_protection": flow.replay_protection,
            "certificate_validation": flow.certificate_validation,
            "timeouts": flow.timeouts,
            **data,
        }

    def component(self, ident: str) -> Facts:
        return Facts(self.endpoints[ident])
