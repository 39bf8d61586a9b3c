"""TM-BOM import (the OWASP Threat Model Library schema) into a secloop model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

from secloop.threatmodel.otm import import_model
from secloop.threatmodel.problems import ModelError
from secloop.threatmodel.tmbom import is_tmbom, tmbom_to_model
from tests.threatmodel.conftest import FIXTURES, load

Invoke = Callable[..., Result]
TMBOM = FIXTURES / "shop.tmbom.json"
# Reviewed by hand: the expected import of the fixture, comments included.
GOLDEN = FIXTURES / "shop.tmbom.yaml"


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(TMBOM.read_text("utf-8"))
    return raw


def test_the_fixture_imports_to_the_reviewed_model() -> None:
    text = import_model(TMBOM)
    assert text == GOLDEN.read_text("utf-8")
    loaded = load(text, "shop.tmbom.yaml")  # validates
    assert loaded.model.system.name == "Web shop"


def test_what_cannot_be_imported_is_listed() -> None:
    _, notes = tmbom_to_model(_raw())
    assert notes == [
        "scope business_criticality high, exposure external, tier business_critical "
        "(secloop derives criticality from the data assets)",
        "data set customer-orders: record count",
        "C-I-A ratings: a TM-BOM has none; add cia to each data asset",
        "component storefront-api: repository link https://git.example.test/shop/api",
        "data flow place-order: carries sensitive data, but the TM-BOM does not say which data set",
        "data flow charge-card: carries sensitive data, but the TM-BOM does not say which data set",
        "data flow stock-feed: its source or destination is not an actor, component or data store",
        "assumption 'Customers never share accounts.': rejected in the TM-BOM",
        "threat card-testing: it affects no actor, component or data store of the model",
        "threat personas (1)",
        "mitigation plans (1)",
        "diagrams (1)",
        "risks: likelihood and impact descriptions (their score sets the threats' severity)",
        "trust boundary internet-shop-vpc: access control and token lifetimes",
    ]


def test_elements_zones_and_flows_are_mapped() -> None:
    model, _ = tmbom_to_model(_raw())
    assert model["system"]["reviewed"] == "2026-10-15"
    assert [(c["id"], c["kind"]) for c in model["components"]] == [
        ("storefront-api", "process"),
        ("payment-gateway", "process"),
        ("orders-db", "data-store"),
    ]
    db = model["components"][2]
    assert (db["technology"], db["data"], db["properties"]) == (
        "PostgreSQL Global Development Group PostgreSQL",
        ["customer-orders"],
        {"encryption_at_rest": True},
    )
    asset = model["data_assets"][0]
    assert (asset["classification"], asset["privacy"]) == (
        "confidential",
        {"pii": True, "special_category": False},
    )
    assert [(b["id"], b["components"]) for b in model["trust_boundaries"]] == [
        ("zone:internet", ["customer"]),
        ("zone:shop-vpc", ["storefront-api", "orders-db"]),
        ("zone:provider", ["payment-gateway"]),
    ]
    # Encryption from the flow, authentication from the boundary between the two zones it crosses.
    assert [
        (f["id"], f.get("encryption"), f.get("authentication"), f.get("data")) for f in model["flows"]
    ] == [
        ("flow:place-order", "tls", "token", None),
        ("flow:store-order", "none", None, ["customer-orders"]),
        ("flow:charge-card", "tls", "public_key", None),
    ]
    assert model["assumptions"] == [
        {"text": "The provider is PCI DSS certified."},
        {"text": "Nobody reaches the database from the internet."},
    ]


def test_threats_take_status_from_controls_and_severity_from_risks() -> None:
    model, _ = tmbom_to_model(_raw())
    sql, leak_api, leak_db = model["threats"]
    assert sql == {
        "id": "threat:sql-injection-orders:storefront-api",
        "target": "storefront-api",
        "title": "SQL injection through order fields",
        "category": "tampering",
        "severity": "critical",  # the higher of its two risks: score 20
        "description": "Order fields reach SQL queries unescaped. (CWE-89, CAPEC-66)",
        "status": "mitigated",  # its control is active
        "mitigations": [{"description": "Every query through the ORM"}],
    }
    assert (leak_api["target"], leak_db["target"]) == ("storefront-api", "orders-db")
    assert leak_db["category"] == "information-disclosure"
    assert leak_db["severity"] == "high"  # score 16
    assert "status" not in leak_db  # a scheduled control does not mitigate yet
    assert leak_db["mitigations"] == [
        {"description": "Order access checked per owner (TM-BOM control status: scheduled)"}
    ]


def test_special_category_data_and_a_flow_without_data_set() -> None:
    raw = _raw()
    raw["data_sets"][0]["data_sensitivity"] = ["phi"]
    raw["data_sets"][0]["placements"][0]["encrypted"] = False
    raw["risks"] = []
    model, notes = tmbom_to_model(raw)
    asset = model["data_assets"][0]
    assert (asset["classification"], asset["privacy"]) == (
        "restricted",
        {"pii": True, "special_category": True},
    )
    assert model["components"][2]["properties"] == {"encryption_at_rest": False}
    assert "severity" not in model["threats"][0]
    assert not any(n.startswith("risks:") for n in notes)


def test_detection() -> None:
    assert is_tmbom(_raw())
    assert not is_tmbom({"otmVersion": "0.2.0", "project": {}})
    assert not is_tmbom({"scope": {}, "trust_zones": []})


def test_import_command_writes_a_validated_model(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "shop.yaml"
    result = invoke("threatmodel", "import", str(TMBOM), "-o", str(out))
    assert result.exit_code == 0
    assert result.output == f"wrote {out}; next: secloop threatmodel check {out}\n"
    assert out.read_text("utf-8") == GOLDEN.read_text("utf-8")
    checked = invoke("threatmodel", "check", str(out), "-f", "json", "--as-of", "2026-12-01")
    doc = json.loads(checked.output)
    mine = [(t["id"], t["status"], t["severity"]) for t in doc["threats"] if not t["generated"]]
    assert mine == [
        ("threat:sql-injection-orders:storefront-api", "mitigated", "critical"),
        ("threat:order-data-leak:storefront-api", "open", "high"),
        ("threat:order-data-leak:orders-db", "open", "high"),
    ]
    assert checked.exit_code == 1  # open high threats fail the gate


def test_a_tmbom_that_does_not_validate_is_refused(invoke: Invoke, tmp_path: Path) -> None:
    raw = _raw()
    raw["components"][0]["description"] = "   "
    path = tmp_path / "bad.tmbom.json"
    path.write_text(json.dumps(raw), "utf-8")
    out = tmp_path / "bad.yaml"
    result = invoke("threatmodel", "import", str(path), "-o", str(out))
    assert isinstance(result.exception, ModelError)
    rendered = [p.render() for p in result.exception.problems]
    assert rendered == [
        f"{out}:41:16: components[0].description: string should have at least 1 character\n"
        "  expected: non-empty text"
    ]
    assert not out.exists()
