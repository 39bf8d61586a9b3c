"""Import of Threagile models (threagile.yaml)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import Result

from secloop.threatmodel.otm import import_model
from secloop.threatmodel.problems import ModelError
from tests.threatmodel.conftest import FIXTURES, analysis, run_secloop

Invoke = Callable[..., Result]
SHOP = FIXTURES / "shop.threagile.yaml"

SMALL = """\
threagile_version: 1.0.0
title: Notes
data_assets:
  Notes:
    id: notes
    description: Notes of users
    usage: business
    quantity: many
    confidentiality: restricted
    integrity: important
    availability: archive
technical_assets:
  Notes App:
    id: notes-app
    type: process
    technology: web-application
    internet: true
    encryption: none
    data_assets_processed: [notes]
    communication_links:
      Store Note:
        target: notes-db
        protocol: sql-access-protocol
        authentication: credentials
        vpn: true
        data_assets_sent: [notes]
  Notes DB:
    id: notes-db
    type: datastore
    technology: database
    encryption: transparent
    data_assets_stored: [notes]
trust_boundaries:
  Private Network:
    id: private
    type: network-on-prem
    technical_assets_inside: [notes-db]
"""

SMALL_MODEL = """\
# Imported from notes.yaml (Threagile 1.0.0) by `secloop threatmodel import`.
# Not imported: data asset notes: usage business, quantity many
# Not imported: personal data: Threagile does not say which data assets hold it; set privacy.pii
# Review the C-I-A ratings, protocols and component properties before relying on the threats.
version: 1
system:
  name: Notes
  scope:
    in:
    - Notes
data_assets:
- id: notes
  name: Notes
  description: Notes of users
  classification: confidential
  cia:
    confidentiality:
      rating: medium
      justification: Threagile confidentiality restricted
    integrity:
      rating: medium
      justification: Threagile integrity important
    availability:
      rating: low
      justification: Threagile availability archive
components:
- id: notes-app
  name: Notes App
  kind: process
  technology: web application
  data:
  - notes
  properties:
    encryption_at_rest: false
    internet_facing: true
- id: notes-db
  name: Notes DB
  kind: data-store
  technology: database
  data:
  - notes
  properties:
    encryption_at_rest: true
flows:
- id: notes-app/store-note
  name: Store Note
  source: notes-app
  destination: notes-db
  protocol: sql-access-protocol
  encryption: vpn
  authentication: password
  data:
  - notes
trust_boundaries:
- id: private
  name: Private Network
  description: Threagile type network-on-prem
  components:
  - notes-db
assumptions: []
threats: []
"""


def _write(tmp_path: Path, text: str, name: str = "notes.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ModelError) as caught:
        import_model(path)
    return [p.render().replace(str(path), path.name) for p in caught.value.problems]


def test_a_small_model_is_imported_exactly(tmp_path: Path) -> None:
    text = import_model(_write(tmp_path, SMALL))
    assert text == SMALL_MODEL
    result = analysis(text)
    flow = result.loaded.model.flows[0]
    assert (flow.key, flow.encryption, flow.authentication) == ("notes-app/store-note", "vpn", "password")


def test_the_shop_maps_assets_components_links_boundaries_and_risks() -> None:
    model = yaml.safe_load(import_model(SHOP))
    assert model["system"] == {
        "name": "Shop (Threagile)",
        "description": "An online shop that takes orders.",
        "owner": "Shop Team",
        "scope": {
            "in": ["Shop (Threagile)"],
            "out": [
                "Customer Browser (browser): Owned by the customer",
                "Payment Provider (payment-provider)",
            ],
        },
        "reviewed": "2026-10-15",
    }
    ratings = [
        (a["id"], a["classification"], *(a["cia"][axis]["rating"] for axis in a["cia"]))
        for a in model["data_assets"]
    ]
    assert ratings == [
        ("orders", "confidential", "high", "high", "medium"),
        # inherits availability "important" through the YAML merge key
        ("card-tokens", "restricted", "critical", "critical", "medium"),
        ("catalog", "public", "low", "medium", "low"),
    ]
    assert model["data_assets"][1]["cia"]["integrity"]["justification"] == (
        "Threagile integrity mission-critical: Tokens can be charged."
    )
    assert [(c["id"], c["kind"], c.get("technology"), c.get("data")) for c in model["components"]] == [
        ("browser", "external-entity", "browser", ["catalog", "orders"]),
        ("shop-api", "process", "web service rest (python)", ["orders", "card-tokens", "catalog"]),
        ("orders-db", "data-store", "database (postgres, aws)", ["orders"]),
        ("payment-provider", "external-entity", "web service rest", ["card-tokens"]),
    ]
    assert model["components"][1]["properties"] == {
        "encryption_at_rest": False,
        "internet_facing": False,
        "multi_tenant": False,
        "redundancy": True,
        "xml_parsing": True,
    }
    assert model["components"][3]["properties"]["deserializes_untrusted_input"] is True
    flows = [
        (
            f["id"],
            f["source"],
            f["destination"],
            f["protocol"],
            f["encryption"],
            f["authentication"],
            f["data"],
        )
        for f in model["flows"]
    ]
    assert flows == [
        ("browser/shop-traffic", "browser", "shop-api", "https", "tls", "session", ["orders", "catalog"]),
        ("shop-api/order-storage", "shop-api", "orders-db", "jdbc", "tls", "password", ["orders"]),
        ("shop-api/payment-call", "shop-api", "payment-provider", "https", "tls", "token", ["card-tokens"]),
        (
            "shop-api/backup-export",
            "shop-api",
            "orders-db",
            "sql-access-protocol",
            "none",
            "none",
            ["orders"],
        ),
    ]
    assert model["trust_boundaries"] == [
        {
            "id": "cloud-account",
            "name": "Cloud Account",
            "description": "The shop's cloud account (Threagile type network-cloud-provider)",
            "components": [],
        },
        {
            "id": "app-subnet",
            "name": "App Subnet",
            "description": "Private subnet (Threagile type network-cloud-security-group)",
            "parent": "cloud-account",
            "components": ["shop-api", "orders-db"],
        },
    ]
    assert model["assumptions"] == [
        {"text": "How are card tokens rotated? The payment provider rotates them daily."}
    ]
    assert model["threats"] == [
        {
            "id": "order-price-tampering:shop-api",
            "target": "shop-api",
            "title": "Order Price Tampering at Shop API",
            "category": "tampering",
            "severity": "high",
            "description": "The client sends the price with the order. (CWE-472)",
            "owner": "Ann Auditor",
            "status": "mitigated",
            "mitigations": [
                {
                    "description": "Prices come from the catalog "
                    "(ticket SHOP-12, checked by Ann Auditor, on 2026-09-30)"
                }
            ],
        },
        {
            "id": "order-price-tampering:browser/shop-traffic",
            "target": "browser/shop-traffic",
            "title": "Order Price Tampering at Shop Traffic",
            "category": "tampering",
            "severity": "medium",
            "description": "The client sends the price with the order. (CWE-472)",
            "owner": "Ann Auditor",
            "status": "not-applicable",
            "reason": "The link only carries order ids "
            "(ticket SHOP-13, checked by Ann Auditor, on 2026-09-30)",
        },
    ]


def test_what_cannot_be_imported_is_listed_in_the_notes() -> None:
    head = [line for line in import_model(SHOP).splitlines() if line.startswith("# Not imported: ")]
    assert [line.removeprefix("# Not imported: ") for line in head] == [
        "data asset orders: usage business, origin Customer, owner Shop Team, quantity many",
        "data asset card-tokens: usage business, origin Customer, owner Shop Team, quantity very-few",
        "data asset catalog: usage business, quantity few",
        "personal data: Threagile does not say which data assets hold it; set privacy.pii",
        "technical asset browser: usage business, used_as_client_by_human true, size component, "
        "machine physical, owner Customer",
        "communication link browser / Shop Traffic: authorization enduser-identity-propagation, "
        "usage business",
        "technical asset shop-api: usage business, size application, machine container, owner Shop Team, "
        "custom_developed_parts true",
        "communication link shop-api / Order Storage: authorization technical-user, usage business",
        "communication link shop-api / Payment Call: authorization technical-user, ip_filtered true, "
        "usage business, vpn",
        "communication link shop-api / Backup Export: authorization none, readonly true, usage devops",
        "technical asset orders-db: usage business, size component, machine virtual, owner Shop Team",
        "technical asset payment-provider: usage business, size system, machine virtual, owner Payments Ltd",
        "technical assets' own C-I-A ratings (secloop derives them from the data assets)",
        "communication links: data sent and data received are both on the one flow",
        "trust boundary cloud-account: tags [aws]",
        "individual risk category order-price-tampering: impact Orders at any price., "
        "asvs V2 - Validation and Business Logic, cheat_sheet https://cheatsheetseries.owasp.org/, "
        "action Price checks, mitigation, check Are prices read from the catalog?, function development, "
        "detection_logic Manual review., risk_assessment Depends on the order volume., "
        "false_positives None known.",
        "risk order-price-tampering@shop-api: exploitation_likelihood likely, exploitation_impact high, "
        "data_breach_probability improbable",
        "risk order-price-tampering@browser>shop-traffic: exploitation_likelihood unlikely, "
        "exploitation_impact medium",
        "risk order-price-tampering@container-host: it is about a shared runtime (secloop has none)",
        "risk tracking missing-vault@*: accepted "
        "(a risk of Threagile's own rules; secloop finds its own threats)",
        "shared runtime container-host: runs shop-api, orders-db (secloop has no shared runtimes)",
        "business criticality important (secloop derives criticality from the data assets)",
        "the management summary",
        "the technical overview",
        "abuse cases (1)",
        "security requirements (1)",
        "unanswered question: Who reviews the firewall rules?",
        "diagram tweaks",
    ]


def test_the_imported_shop_passes_check(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "threatmodel.yaml"
    result = invoke("threatmodel", "import", str(SHOP), "-o", str(out))
    assert result.exit_code == 0
    assert result.output == f"wrote {out}; next: secloop threatmodel check {out}\n"
    checked = invoke("threatmodel", "check", str(out), "--as-of", "2026-12-01", "--fail-on", "none")
    assert checked.exit_code == 0
    result_model = analysis(out.read_text("utf-8"))
    hand = [(t.id, t.status.value, t.severity.value) for t in result_model.threats if t.rule_id is None]
    assert hand == [
        ("order-price-tampering:shop-api", "mitigated", "high"),
        ("order-price-tampering:browser/shop-traffic", "not-applicable", "medium"),
    ]
    found = {(t.rule_id, t.target): t.status.value for t in result_model.threats if t.rule_id is not None}
    # session-id on the link answers the caller rule; the plain SQL export is cleartext
    assert found[("TM-SPOOF-FLOW-CALLER", "browser/shop-traffic")] == "mitigated"
    assert found[("TM-INFO-CLEARTEXT-SENSITIVE-FLOW", "shop-api/backup-export")] == "open"


def test_accepted_and_in_progress_risks_stay_open_with_a_note(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        SMALL
        + """\
individual_risk_categories:
  Weak Notes:
    id: weak-notes
    description: Notes can be read by others.
    stride: information-disclosure
    risks_identified:
      Weak Notes at App:
        severity: critical
        most_relevant_technical_asset: notes-app
      Weak Notes at Store:
        severity: low
        most_relevant_data_asset: notes
risk_tracking:
  weak-notes@notes-app:
    status: accepted
    justification: Until the rewrite
  weak-notes@notes:
    status: in-progress
""",
    )
    text = import_model(path)
    model = yaml.safe_load(text)
    assert [
        (t["id"], t["target"], t["category"], t["severity"], t.get("status")) for t in model["threats"]
    ] == [
        ("weak-notes:notes-app", "notes-app", "information-disclosure", "critical", None),
        ("weak-notes:notes", "notes", "information-disclosure", "low", None),
    ]
    notes = [line for line in text.splitlines() if "risk tracking" in line]
    assert notes == [
        "# Not imported: risk tracking weak-notes@notes-app: accepted "
        "(secloop needs an expiry: set status accepted, reason and expires)",
        "# Not imported: risk tracking weak-notes@notes: in-progress",
    ]


def test_nesting_conflicts_and_unknown_keys_become_notes(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        SMALL
        + """\
  Office:
    id: office
    technical_assets_inside: [notes-db, notes-app]
    trust_boundaries_nested: [private]
  Lab:
    id: lab
    trust_boundaries_nested: [private]
includes: [more.yaml]
""",
    )
    text = import_model(path)
    model = yaml.safe_load(text)
    assert [(b["id"], b.get("parent"), b["components"]) for b in model["trust_boundaries"]] == [
        ("private", "office", ["notes-db"]),
        ("office", None, ["notes-app"]),
        ("lab", None, []),
    ]
    assert [line for line in text.splitlines() if "trust boundary" in line or "top-level" in line] == [
        "# Not imported: trust boundary office: notes-db is already inside private",
        "# Not imported: trust boundary lab: private is already nested in office",
        "# Not imported: top-level key 'includes'",
    ]
    analysis(text)  # still a valid model


def test_ids_shared_by_a_data_asset_and_a_technical_asset_are_kept_apart(tmp_path: Path) -> None:
    path = _write(
        tmp_path, SMALL.replace("id: notes-db", "id: notes").replace("target: notes-db", "target: notes")
    )
    path.write_text(path.read_text("utf-8").replace("[notes-db]", "[notes]"), "utf-8")
    text = import_model(path)
    model = yaml.safe_load(text)
    assert [c["id"] for c in model["components"]] == ["notes-app", "notes-2"]
    assert model["trust_boundaries"][0]["components"] == ["notes-2"]
    assert "# Not imported: technical asset 'notes' is imported as 'notes-2'" in text.splitlines()
    analysis(text)


def test_a_link_to_an_unknown_asset_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL.replace("target: notes-db", "target: notes-dbs"))
    assert _problems(path) == [
        "notes.yaml:22:17: technical_assets.Notes App.communication_links.Store Note.target: "
        "no technical asset has the id 'notes-dbs'\n"
        "  expected: the id of a technical asset\n"
        "  hint: did you mean 'notes-db'?"
    ]


def test_unknown_references_and_values_are_errors_with_their_lines(tmp_path: Path) -> None:
    text = (
        SMALL.replace("data_assets_sent: [notes]", "data_assets_sent: [note]")
        .replace("integrity: important", "integrity: importent")
        .replace("authentication: credentials", "authentication: password")
        .replace("technical_assets_inside: [notes-db]", "technical_assets_inside: [db]")
    )
    assert _problems(_write(tmp_path, text)) == [
        "notes.yaml:10:16: data_assets.Notes.integrity: 'importent' is not a Threagile value\n"
        "  expected: one of: archive, operational, important, critical, mission-critical\n"
        "  hint: did you mean 'important'?",
        "notes.yaml:24:25: technical_assets.Notes App.communication_links.Store Note.authentication: "
        "'password' is not a Threagile value\n"
        "  expected: one of: none, credentials, session-id, token, client-certificate, two-factor, "
        "externalized",
        "notes.yaml:26:28: technical_assets.Notes App.communication_links.Store Note.data_assets_sent[0]: "
        "no data asset has the id 'note'\n"
        "  expected: the id of a data asset\n"
        "  hint: did you mean 'notes'?",
        "notes.yaml:37:31: trust_boundaries.Private Network.technical_assets_inside[0]: "
        "no technical asset has the id 'db'\n"
        "  expected: the id of a technical asset\n"
        "  hint: declare the technical asset or fix the reference",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "title: x\ntechnical_assets:\n  A: {id: a\n",
            "notes.yaml:4:1: not valid YAML: did not find expected ',' or '}'",
        ),
        (
            "title: x\ntechnical_assets:\n  A: {id: a}\n  A: {id: b}\n",
            "notes.yaml:4:3: duplicate key 'A' (first at line 3)\n"
            "  hint: keep one of them: YAML would silently use the last",
        ),
        (
            "title: x\ntechnical_assets:\n  A: {type: process}\n",
            "notes.yaml:3:6: technical_assets.A: missing required key 'id'\n"
            "  expected: 'id:' in this mapping",
        ),
        (
            "title: x\ntechnical_assets: [a, b]\n",
            "notes.yaml:2:19: technical_assets: expected a mapping of named entries\n"
            "  expected: name: {id: ..., ...}",
        ),
        (
            "title: x\n",
            "notes.yaml: neither an Open Threat Model file, a TM-BOM, pytm's JSON output nor a "
            "Threagile model\n"
            "  expected: a JSON object with otmVersion (OTM), with scope, trust_zones and data_flows "
            "(TM-BOM), or with flows and assets (pytm --json); or YAML with technical_assets (Threagile)",
        ),
    ],
)
def test_malformed_threagile_files(tmp_path: Path, text: str, message: str) -> None:
    assert _problems(_write(tmp_path, text)) == [message]


def test_exit_code_two_with_file_and_line_through_the_real_entry_point(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL.replace("target: notes-db", "target: nowhere"))
    proc = run_secloop("threatmodel", "import", str(path))
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[:2] == [
        "error: the threat model has 1 problem",
        f"{path}:22:17: technical_assets.Notes App.communication_links.Store Note.target: "
        "no technical asset has the id 'nowhere'",
    ]
