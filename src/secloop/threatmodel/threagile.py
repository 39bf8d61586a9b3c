"""Import a Threagile model (threagile.yaml) as a secloop model.

Threagile keys everything by name: data assets with five-step C-I-A ratings, technical assets
(external entities, processes, data stores) with their outgoing communication links, trust
boundaries that list the assets directly inside and the boundaries nested in them, shared
runtimes, individual (hand-written) risk categories and the tracking of risks. A reference to an
element that does not exist is an error with its line, as in Threagile itself; what has no place
in a secloop model is named in the notes, never dropped silently.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from secloop.threatmodel.problems import ModelError
from secloop.threatmodel.threagile_read import Ids, Loc, Reader, plain, read_yaml, unmapped
from secloop.threatmodel.threagile_risks import threats_of, tracking_of

__all__ = ["is_threagile", "read_yaml", "threagile_to_model"]

_CONFIDENTIALITY = ("public", "internal", "restricted", "confidential", "strictly-confidential")
_CRITICALITY = ("archive", "operational", "important", "critical", "mission-critical")
# both scales have five steps; secloop has four ratings, so the two lowest steps meet at "low"
_RATING = ("low", "low", "medium", "high", "critical")
# Threagile's "restricted" lies between internal and confidential; secloop's is its highest class
_CLASSIFICATION = ("public", "internal", "confidential", "confidential", "restricted")
_KIND = {"external-entity": "external-entity", "process": "process", "datastore": "data-store"}
_STORE_TECHNOLOGY = ("database", "file-server", "file-system", "block-storage", "data-lake", "identity-store")
_CLIENT_TECHNOLOGY = ("client-system", "browser", "desktop", "mobile-app", "devops-client", "iot-device")
_AT_REST = (
    "none",
    "transparent",
    "data-with-symmetric-shared-key",
    "data-with-asymmetric-shared-key",
    "data-with-enduser-individual-key",
)
_AUTHENTICATION = {
    "none": "none",
    "credentials": "password",
    "session-id": "session",
    # an authentication method, not a secret
    "token": "token",  # nosec B105
    "client-certificate": "mtls",
    "two-factor": "mfa",
    "externalized": "externalized",
}
_PROTOCOL = {
    "reverse-proxy-web-protocol": "http",
    "reverse-proxy-web-protocol-encrypted": "https",
    "smtp-encrypted": "smtps",
    "pop3-encrypted": "pop3s",
    "imap-encrypted": "imaps",
    "ssh-tunnel": "ssh",
}
_ENCRYPTED = frozenset({"https", "wss", "ssh", "ssh-tunnel", "sftp", "scp", "ftps", "ldaps"})
_SSH = frozenset({"ssh", "ssh-tunnel", "sftp", "scp"})
_NOT_NETWORK = frozenset({"in-process-library-call", "local-file-access", "container-spawning"})
_FORMATS = {"xml": "xml_parsing", "serialization": "deserializes_untrusted_input", "file": "file_upload"}
_TOP = frozenset(
    {
        "threagile_version",
        "title",
        "date",
        "author",
        "business_overview",
        "questions",
        "tags_available",
        "data_assets",
        "technical_assets",
        "trust_boundaries",
        "shared_runtimes",
        "individual_risk_categories",
        "risk_tracking",
    }
)
_ASSET_KEYS = frozenset({"id", "description", "confidentiality", "integrity", "availability"})
_TECHNICAL_KEYS = frozenset(
    {
        *("id", "description", "type", "technology", "tags", "internet", "encryption", "multi_tenant"),
        *("redundant", "data_formats_accepted", "data_assets_processed", "data_assets_stored"),
        *("communication_links", "out_of_scope", "justification_out_of_scope"),
        *("confidentiality", "integrity", "availability", "justification_cia_rating"),
    }
)
_LINK_KEYS = frozenset(
    {"target", "description", "protocol", "authentication", "vpn", "data_assets_sent", "data_assets_received"}
)
_BOUNDARY_KEYS = frozenset(
    {"id", "description", "type", "technical_assets_inside", "trust_boundaries_nested"}
)


def is_threagile(raw: object) -> bool:
    return isinstance(raw, dict) and "technical_assets" in raw


def _listed(item: dict[str, Any], key: str) -> list[str]:
    values = item.get(key)
    return [str(v) for v in values] if isinstance(values, list) else []


def _data_assets(
    r: Reader, raw: dict[str, Any], ids: Ids, notes: list[str]
) -> tuple[list[Any], dict[str, str]]:
    assets: list[dict[str, Any]] = []
    known: dict[str, str] = {}
    for name, item in r.entries(raw, "data_assets"):
        loc: Loc = ("data_assets", name)
        raw_id = r.ident(item, loc)
        steps = [
            r.choice(item, loc, axis, scale)
            for axis, scale in (
                ("confidentiality", _CONFIDENTIALITY),
                ("integrity", _CRITICALITY),
                ("availability", _CRITICALITY),
            )
        ]
        if raw_id is None:
            continue
        ident = known[raw_id] = ids("data asset", raw_id)
        confidentiality, integrity, availability = steps
        if confidentiality is None or integrity is None or availability is None:
            continue
        why = plain(item.get("justification_cia_rating") or "")
        cia = {
            axis: {
                "rating": _RATING[scale.index(value)],
                "justification": f"Threagile {axis} {value}" + (f": {why}" if why else ""),
            }
            for axis, value, scale in (
                ("confidentiality", confidentiality, _CONFIDENTIALITY),
                ("integrity", integrity, _CRITICALITY),
                ("availability", availability, _CRITICALITY),
            )
        }
        asset: dict[str, Any] = {"id": ident, "name": name}
        if item.get("description"):
            asset["description"] = plain(item["description"])
        asset["classification"] = _CLASSIFICATION[_CONFIDENTIALITY.index(confidentiality)]
        asset["cia"] = cia
        assets.append(asset)
        rest = unmapped(item, _ASSET_KEYS | {"justification_cia_rating"})
        if rest:
            notes.append(f"data asset {raw_id}: {', '.join(rest)}")
    if assets:
        notes.append("personal data: Threagile does not say which data assets hold it; set privacy.pii")
    return assets, known


def _kind(r: Reader, item: dict[str, Any], loc: Loc) -> str:
    if item.get("type") is not None:
        chosen = r.choice(item, loc, "type", _KIND)
        return _KIND[chosen] if chosen else "process"
    technology = str(item.get("technology") or "")
    if any(word in technology for word in _STORE_TECHNOLOGY):
        return "data-store"
    return "external-entity" if technology in _CLIENT_TECHNOLOGY else "process"


def _properties(r: Reader, item: dict[str, Any], loc: Loc) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if item.get("encryption") is not None:
        chosen = r.choice(item, loc, "encryption", _AT_REST)
        if chosen is not None:
            props["encryption_at_rest"] = chosen != "none"
    if isinstance(item.get("internet"), bool):
        props["internet_facing"] = item["internet"]
    if isinstance(item.get("multi_tenant"), bool):
        props["multi_tenant"] = item["multi_tenant"]
    if isinstance(item.get("redundant"), bool):
        props["redundancy"] = item["redundant"]
    for data_format in _listed(item, "data_formats_accepted"):
        prop = _FORMATS.get(str(data_format))
        if prop is not None:
            props[prop] = True
    return props


def _technology(item: dict[str, Any]) -> str | None:
    # hyphens become spaces so rules that look for "load balancer" or "build pipeline" see them
    technology = str(item.get("technology") or "").replace("-", " ").strip()
    tags = ", ".join(_listed(item, "tags"))
    text = f"{technology} ({tags})" if technology and tags else technology or tags
    return text or None


def _link(
    r: Reader,
    loc: Loc,
    link: dict[str, Any],
    source: str,
    technical: dict[str, str],
    assets: dict[str, str],
) -> dict[str, Any] | None:
    target = link.get("target")
    if target is None:
        r.error(loc, "missing required key 'target'", "target: the id of a technical asset")
        return None
    if str(target) not in technical:
        close = difflib.get_close_matches(str(target), sorted(technical), n=1, cutoff=0.6)
        r.error(
            (*loc, "target"),
            f"no technical asset has the id '{target}'",
            "the id of a technical asset",
            f"did you mean '{close[0]}'?" if close else "declare the technical asset or fix the target",
        )
        return None
    flow: dict[str, Any] = {"id": "", "name": str(loc[-1])}
    if link.get("description"):
        flow["description"] = plain(link["description"])
    flow |= {"source": source, "destination": technical[str(target)]}
    protocol = str(link.get("protocol") or "unknown-protocol")
    if protocol != "unknown-protocol":
        flow["protocol"] = _PROTOCOL.get(protocol) or protocol.removesuffix("-encrypted")
    if protocol in _SSH:
        flow["encryption"] = "ssh"
    elif protocol in _ENCRYPTED or protocol.endswith("-encrypted"):
        flow["encryption"] = "tls"
    elif link.get("vpn") is True:
        flow["encryption"] = "vpn"
    elif protocol not in _NOT_NETWORK and protocol != "unknown-protocol":
        flow["encryption"] = "none"
    if link.get("authentication") is not None:
        chosen = r.choice(link, loc, "authentication", _AUTHENTICATION)
        if chosen is not None:
            flow["authentication"] = _AUTHENTICATION[chosen]
    data = r.refs(link, loc, "data_assets_sent", assets, "data asset")
    data += r.refs(link, loc, "data_assets_received", assets, "data asset")
    if data:
        flow["data"] = list(dict.fromkeys(data))
    return flow


def _technical_assets(
    r: Reader, raw: dict[str, Any], ids: Ids, assets: dict[str, str], notes: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str], list[str]]:
    entries = r.entries(raw, "technical_assets")
    known: dict[str, str] = {}
    for name, item in entries:
        raw_id = r.ident(item, ("technical_assets", name))
        if raw_id is not None:
            known[raw_id] = ids("technical asset", raw_id)
    components: list[dict[str, Any]] = []
    flows: list[dict[str, Any]] = []
    out_of_scope: list[str] = []
    rated = received = False
    for name, item in entries:
        loc: Loc = ("technical_assets", name)
        if item.get("id") is None:
            continue
        raw_id = str(item["id"])
        ident = known[raw_id]
        component: dict[str, Any] = {"id": ident, "name": name, "kind": _kind(r, item, loc)}
        technology = _technology(item)
        if technology:
            component["technology"] = technology
        if item.get("description"):
            component["description"] = plain(item["description"])
        data = r.refs(item, loc, "data_assets_processed", assets, "data asset")
        data += r.refs(item, loc, "data_assets_stored", assets, "data asset")
        if data:
            component["data"] = data
        props = _properties(r, item, loc)
        if props:
            component["properties"] = props
        components.append(component)
        if item.get("out_of_scope") is True:
            why = plain(item.get("justification_out_of_scope") or "")
            out_of_scope.append(f"{name} ({ident})" + (f": {why}" if why else ""))
        rated = rated or any(item.get(k) for k in ("confidentiality", "integrity", "availability"))
        rest = unmapped(item, _TECHNICAL_KEYS)
        if rest:
            notes.append(f"technical asset {raw_id}: {', '.join(rest)}")
        links = item.get("communication_links")
        if links is not None and not isinstance(links, dict):
            r.error((*loc, "communication_links"), "expected a mapping of named links", "name: {target: ...}")
            continue
        for title, link in (links or {}).items():
            link_loc: Loc = (*loc, "communication_links", str(title))
            if not isinstance(link, dict):
                r.error(link_loc, "expected a mapping of keys", "target: ..., protocol: ...")
                continue
            flow = _link(r, link_loc, link, ident, known, assets)
            if flow is None:
                continue
            flow["id"] = ids("communication link", _link_id(raw_id, str(title)))
            received = received or bool(link.get("data_assets_received"))
            flows.append(flow)
            rest = unmapped(link, _LINK_KEYS)
            if link.get("vpn") is True and flow.get("encryption") != "vpn":
                rest.append("vpn")
            if rest:
                notes.append(f"communication link {raw_id} / {title}: {', '.join(rest)}")
    if rated:
        notes.append("technical assets' own C-I-A ratings (secloop derives them from the data assets)")
    if received:
        notes.append("communication links: data sent and data received are both on the one flow")
    _implicit_data(components, flows)
    return components, flows, known, out_of_scope


def _link_id(source: str, title: str) -> str:
    """Threagile's own link id, with '/' for its '>' (which secloop ids do not take)."""
    return source + "/" + re.sub(r"[^A-Za-z0-9]+", "-", title.lower()).strip("- ")


def _implicit_data(components: list[dict[str, Any]], flows: list[dict[str, Any]]) -> None:
    """Threagile: data sent or received over a link is also processed by both of its ends."""
    by_id = {c["id"]: c for c in components}
    for flow in flows:
        for end in (flow["source"], flow["destination"]):
            merged = list(dict.fromkeys([*by_id[end].get("data", []), *flow.get("data", [])]))
            if merged:
                by_id[end]["data"] = merged


def _boundaries(
    r: Reader, raw: dict[str, Any], ids: Ids, technical: dict[str, str], notes: list[str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    entries = r.entries(raw, "trust_boundaries")
    known: dict[str, str] = {}
    for name, item in entries:
        raw_id = r.ident(item, ("trust_boundaries", name))
        if raw_id is not None:
            known[raw_id] = ids("trust boundary", raw_id)
    parent: dict[str, str] = {}
    inside: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for name, item in entries:
        loc: Loc = ("trust_boundaries", name)
        if item.get("id") is None:
            continue
        ident = known[str(item["id"])]
        members[ident] = []
        for ref in r.refs(item, loc, "technical_assets_inside", technical, "technical asset"):
            if ref in inside:
                notes.append(f"trust boundary {item['id']}: {ref} is already inside {inside[ref]}")
                continue
            inside[ref] = ident
            members[ident].append(ref)
        for ref in r.refs(item, loc, "trust_boundaries_nested", known, "trust boundary"):
            if ref in parent:
                notes.append(f"trust boundary {item['id']}: {ref} is already nested in {parent[ref]}")
                continue
            parent[ref] = ident
    boundaries: list[dict[str, Any]] = []
    for name, item in entries:
        if item.get("id") is None:
            continue
        ident = known[str(item["id"])]
        boundary: dict[str, Any] = {"id": ident, "name": name}
        text = plain(item.get("description") or "")
        kind = f"Threagile type {item['type']}" if item.get("type") else ""
        description = f"{text} ({kind})" if text and kind else text or kind
        if description:
            boundary["description"] = description
        if ident in parent:
            boundary["parent"] = parent[ident]
        boundary["components"] = members[ident]
        boundaries.append(boundary)
        rest = unmapped(item, _BOUNDARY_KEYS)
        if rest:
            notes.append(f"trust boundary {item['id']}: {', '.join(rest)}")
    return boundaries, known


def _system(raw: dict[str, Any], out_of_scope: list[str]) -> dict[str, Any]:
    title = plain(raw.get("title") or "") or "Imported from Threagile"
    system: dict[str, Any] = {"name": title}
    overview = raw.get("business_overview")
    if isinstance(overview, dict) and overview.get("description"):
        system["description"] = plain(overview["description"])
    author = raw.get("author")
    if isinstance(author, dict) and author.get("name"):
        system["owner"] = plain(author["name"])
    system["scope"] = {"in": [title], **({"out": out_of_scope} if out_of_scope else {})}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(raw.get("date") or "")):
        system["reviewed"] = str(raw["date"])
    return system


def _questions(raw: dict[str, Any], notes: list[str]) -> list[dict[str, Any]]:
    """Answered questions are statements about the system: secloop keeps them as assumptions."""
    questions = raw.get("questions")
    assumptions: list[dict[str, Any]] = []
    for question, answer in (questions if isinstance(questions, dict) else {}).items():
        if plain(answer or ""):
            assumptions.append({"text": f"{plain(question)} {plain(answer)}"})
        else:
            notes.append(f"unanswered question: {plain(question)}")
    return assumptions


def threagile_to_model(raw: dict[str, Any], root: Any | None, path: str) -> tuple[dict[str, Any], list[str]]:
    """The secloop model (plain data) and notes on what could not be taken over; references to
    elements that do not exist and values outside Threagile's scales raise a ModelError."""
    r = Reader(root, path)
    notes: list[str] = []
    ids = Ids(notes)
    assets, asset_ids = _data_assets(r, raw, ids, notes)
    components, flows, technical, out_of_scope = _technical_assets(r, raw, ids, asset_ids, notes)
    boundaries, boundary_ids = _boundaries(r, raw, ids, technical, notes)
    flow_ids = {key[1]: ident for key, ident in ids.map.items() if key[0] == "communication link"}
    # Threagile's link ids use '>' where the keys above use '/'
    links = {k.replace("/", ">", 1): v for k, v in flow_ids.items()}
    targets = {"technical": technical, "link": links, "boundary": boundary_ids, "data": asset_ids}
    threats = threats_of(r, raw, targets, tracking_of(r, raw), notes)
    if r.problems:
        raise ModelError(r.problems)
    for name, runtime in r.entries(raw, "shared_runtimes"):
        running = ", ".join(_listed(runtime, "technical_assets_running")) or "nothing"
        shown = runtime.get("id") or name
        notes.append(f"shared runtime {shown}: runs {running} (secloop has no shared runtimes)")
    if raw.get("business_criticality"):
        notes.append(
            f"business criticality {raw['business_criticality']} "
            "(secloop derives criticality from the data assets)"
        )
    for key, what in (
        ("management_summary_comment", "the management summary"),
        ("technical_overview", "the technical overview"),
        ("abuse_cases", "abuse cases"),
        ("security_requirements", "security requirements"),
    ):
        value = raw.get(key)
        if value:
            counted = isinstance(value, dict) and key in ("abuse_cases", "security_requirements")
            notes.append(what + (f" ({len(value)})" if counted else ""))
    assumptions = _questions(raw, notes)
    if any(str(key).startswith("diagram_tweak") for key in raw):
        notes.append("diagram tweaks")
    handled = _TOP | {"business_criticality", "management_summary_comment", "technical_overview"}
    handled |= {"abuse_cases", "security_requirements"}
    for key in raw:
        if key not in handled and not str(key).startswith("diagram_tweak"):
            notes.append(f"top-level key {key!r}")
    model: dict[str, Any] = {
        "version": 1,
        "system": _system(raw, out_of_scope),
        "data_assets": assets,
        "components": components,
        "flows": flows,
        "trust_boundaries": boundaries,
        "assumptions": assumptions,
        "threats": threats,
    }
    return model, notes
