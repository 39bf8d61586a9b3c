"""Import of Open Threat Model (OTM) JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import Result

from secloop.core.errors import UsageError
from secloop.threatmodel.otm import import_model, otm_to_model
from secloop.threatmodel.problems import ModelError
from secloop.threatmodel.pytm_import import pytm_to_model
from tests.threatmodel.conftest import FIXTURES, analysis

Invoke = Callable[..., Result]
OTM = FIXTURES / "shop.otm.json"


def test_the_import_maps_zones_components_flows_assets_and_threats() -> None:
    model, notes = otm_to_model(json.loads(OTM.read_text("utf-8")))
    assert [(c["id"], c["kind"]) for c in model["components"]] == [
        ("browser", "external-entity"),
        ("web", "process"),
        ("web/api", "process"),
        ("orders-db", "data-store"),
    ]
    assert [(b["id"], b["components"], b.get("parent")) for b in model["trust_boundaries"]] == [
        ("zone:tz-internet", ["browser"], None),
        ("zone:tz-app", ["web", "web/api"], None),  # the nested API sits in its parent's zone
        ("zone:tz-data", ["orders-db"], "zone:tz-app"),
    ]
    assert [(f["id"], f["source"], f["destination"], f.get("protocol")) for f in model["flows"]] == [
        ("flow:f1", "browser", "web", "https"),
        ("flow:f2", "web/api", "orders-db", "postgresql"),
    ]
    (orders,) = model["data_assets"]
    assert (orders["classification"], {k: v["rating"] for k, v in orders["cia"].items()}) == (
        "confidential",
        {"confidentiality": "high", "integrity": "critical", "availability": "medium"},
    )
    assert model["threats"] == [
        {
            "id": "threat:T-SQLI:web",
            "target": "web",
            "title": "SQL injection in order search",
            "category": "tampering",
            "severity": "critical",
            "description": "(CWE-89)",
        },
        {
            "id": "threat:T-SESSION:web",
            "target": "web",
            "title": "Session hijacking",
            "category": "spoofing",
            "severity": "high",
            "status": "mitigated",
            "mitigations": [{"description": "Secure, HttpOnly, SameSite session cookies"}],
        },
    ]
    assert notes == [
        "dataflow f2: bidirectional; only source -> destination is modelled",
        "dataflow f3: its source or destination is not a component",
        "component orders db: threat 'T-MISSING' is not in threats[]",
        "representations (diagram positions)",
    ]


def test_the_imported_model_validates_and_is_analysed() -> None:
    text = import_model(OTM)
    assert text.splitlines()[:2] == [
        "# Imported from shop.otm.json (OTM 0.2.0) by `secloop threatmodel import`.",
        "# Not imported: dataflow f2: bidirectional; only source -> destination is modelled",
    ]
    result = analysis(text)
    hand = [(t.id, t.status.value) for t in result.threats if t.rule_id is None]
    assert hand == [("threat:T-SQLI:web", "open"), ("threat:T-SESSION:web", "mitigated")]
    assert any(t.rule_id == "TM-SPOOF-FLOW-CALLER" and t.target == "flow:f1" for t in result.threats)
    assert yaml.safe_load(text)["system"]["name"] == "Shop (OTM)"


def test_import_command(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "threatmodel.yaml"
    result = invoke("threatmodel", "import", str(OTM), "-o", str(out))
    assert result.exit_code == 0
    assert result.output == f"wrote {out}; next: secloop threatmodel check {out}\n"
    assert out.read_text("utf-8") == import_model(OTM)
    again = invoke("threatmodel", "import", str(OTM), "-o", str(out))
    assert isinstance(again.exception, UsageError)
    printed = invoke("threatmodel", "import", str(OTM))
    assert printed.output == import_model(OTM)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"otmVersion": "0.2.0",\n  "project": }', "shop.json:2:14: not JSON: Expecting value"),
        (
            '{"project": {}}',
            "shop.json: neither an Open Threat Model file, a TM-BOM, pytm's JSON output nor a Threagile "
            "model\n"
            "  expected: a JSON object with otmVersion (OTM), with scope, trust_zones and data_flows "
            "(TM-BOM), or with flows and assets (pytm --json); or YAML with technical_assets (Threagile)",
        ),
    ],
)
def test_unreadable_otm(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "shop.json"
    path.write_text(text, "utf-8")
    with pytest.raises(ModelError) as caught:
        import_model(path)
    assert caught.value.problems[0].render() == message.replace("shop.json", str(path))


PYTM = FIXTURES / "pytm-example.pytm.json"  # pytm 1.4.0 --json of its example, trimmed, a few controls set


def test_pytm_json_import() -> None:
    model, notes = pytm_to_model(json.loads(PYTM.read_text("utf-8")))
    assert [(c["id"], c["kind"], c.get("technology")) for c in model["components"]] == [
        ("Web-Server", "process", "Server Ubuntu"),
        ("SQL-Database", "data-store", "Datastore SQL CentOS"),
        ("Real-Identity-Database", "data-store", "Datastore SQL CentOS"),
        ("AWS-Lambda", "process", "Lambda"),
    ]
    assert model["components"][0]["properties"] == {
        "hardened": True,
        "output_encoding": True,
        "authentication": "session",
        "xml_parsing": True,
    }
    assert model["actors"] == [{"id": "User", "name": "User"}]
    assert [(b["id"], b["components"]) for b in model["trust_boundaries"]] == [
        ("boundary:Internet", ["User"]),
        ("boundary:Server/DB", ["SQL-Database", "Real-Identity-Database"]),
        ("boundary:AWS-VPC", ["AWS-Lambda"]),
    ]
    insert = next(f for f in model["flows"] if f["name"] == "Insert query with comments")
    assert (insert["source"], insert["destination"], insert["protocol"], insert["encryption"]) == (
        "Web-Server",
        "SQL-Database",
        "mysql",
        "tls",
    )
    assert model["data_assets"][0] == {
        "id": "data:Token",
        "name": "Token",
        "classification": "restricted",
        "privacy": {"pii": True},
    }
    assert notes == [
        "pytm data has no C-I-A ratings: rate each data asset (cia) with a justification",
        "pytm's 102 findings: secloop derives its own threats from the model",
    ]
    result = analysis(import_model(PYTM))
    rules = {t.rule_id for t in result.threats}
    assert {"TM-TAMPER-SQL-INJECTION", "TM-SPOOF-FLOW-CALLER", "TM-TAMPER-XXE"} <= rules
    assert len(result.loaded.model.flows) == 6
