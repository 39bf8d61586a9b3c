"""Engine-backed plan practices: plan.threat-model, plan.cia-requirements, plan.threat-derived-tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from secloop.core.config import Config
from secloop.core.enums import Severity, Status
from secloop.core.model import Location, PracticeResult, Skipped
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from secloop.threatmodel.practices import EVALUATORS, discover
from secloop.threatmodel.testgen import write_tests
from tests.threatmodel.conftest import FIXTURES, analysis

SHOP = (FIXTURES / "shop.yaml").read_text("utf-8")
PII_ANSWER = """\
  - rule: TM-INFO-PII-IN-LOGS
    target: api
    status: mitigated
    mitigations:
      - description: Structured logging masks e-mail and address fields.
        tests: [tests/test_logging.py::test_pii_is_masked]
  - rule: TM-LINDDUN-IDENTIFYING-URL
    target: order
    status: not-applicable
    reason: Orders travel in the request body; the URL carries no personal data.
"""
MALFORMED = "system:\n  name: Broken\ncomponents:\n  - id: api\n    kind: proces\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if not text.startswith("version") else text, "utf-8")


def evaluate(root: Path, practice_id: str, files: dict[str, str]) -> PracticeResult:
    _write(root, files)
    practice = next(p for p in load_catalog() if p.id == practice_id)
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice))


def test_engine_evaluators_cover_the_three_practices() -> None:
    assert set(EVALUATORS) == {"plan.threat-model", "plan.cia-requirements", "plan.threat-derived-tests"}


def test_discovery_names(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "threatmodel.yml": "",
            "services/pay.threatmodel.yaml": "",
            ".secloop/threatmodel.yaml": "",
            "docs/threatmodel.yaml": "",
            "tests/fixtures/threatmodel.yaml": "",
            "node_modules/x/threatmodel.yaml": "",
            "threat-model.yaml": "",
        },
    )
    assert discover(Repo(tmp_path)) == [
        ".secloop/threatmodel.yaml",
        "docs/threatmodel.yaml",
        "services/pay.threatmodel.yaml",
        "threatmodel.yml",
    ]


# -- plan.threat-model ------------------------------------------------------------------------------


def test_threat_model_without_a_secloop_model_keeps_the_document_check(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.threat-model", {"README.md": "# app\n"})
    assert result.status is Status.FAIL
    assert result.summary.startswith("no threat model found")


def test_threat_model_partial_until_every_threat_has_a_decision(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.threat-model", {"threatmodel.yaml": SHOP})
    assert result.status is Status.PARTIAL
    assert result.score == 75
    assert (
        result.summary
        == "the threat model (threatmodel.yaml) does not answer: 'what are we going to do about it?'"
    )
    assert result.evidence == (
        "threatmodel.yaml:5: answers 'what are we working on?': scope: the shop API; the orders database "
        "(2 component(s), 1 actor(s), 2 flow(s), 1 data asset(s), 2 trust boundaries)",
        "threatmodel.yaml:69: answers 'what can go wrong?': 6 threat(s): 6 found by rules, 0 written by hand "
        "(1 denial-of-service, 1 identifying, 1 information-disclosure, 1 spoofing, 2 tampering)",
        "threatmodel.yaml: does not answer 'what are we going to do about it?': 2 threat(s) found by rules "
        "have no decision in the model yet (1 accepted, 3 mitigated, 2 open)",
        "threatmodel.yaml: answers 'did we do a good enough job?': coverage 0%: 0 of 1 boundary-crossing "
        "flow(s) have a threat considered and a verifying test; 0 open high/critical threat(s)",
    )
    finding, _url = result.findings
    assert _url.rule_id == "TM-LINDDUN-IDENTIFYING-URL"
    assert (finding.rule_id, finding.severity, finding.primary) == (
        "TM-INFO-PII-IN-LOGS",
        Severity.MEDIUM,
        Location("threatmodel.yaml", 19),
    )
    assert finding.message == "THREAT-ADFC662253: Personal data may be written to logs (process 'api')"


def test_threat_model_passes_when_the_four_questions_are_answered(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.threat-model", {"threatmodel.yaml": SHOP + PII_ANSWER})
    assert result.status is Status.PASS
    assert result.summary == "the threat model (threatmodel.yaml) answers the four questions"
    assert result.findings == ()


def test_a_malformed_model_is_skipped_with_its_place(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.threat-model", {"threatmodel.yaml": MALFORMED})
    assert result.status is Status.FAIL
    assert result.summary == (
        "the threat model could not be read: threatmodel.yaml:5: malformed threat model: "
        "components[0].kind: 'proces' is not allowed; expected 'process', 'data-store' or 'external-entity'"
    )
    assert result.skipped == (
        Skipped(
            "threatmodel.yaml",
            "malformed threat model: components[0].kind: 'proces' is not allowed; expected 'process', "
            "'data-store' or 'external-entity'",
            5,
            11,
        ),
    )


def test_a_malformed_model_next_to_a_document_model_is_partial(tmp_path: Path) -> None:
    doc = "# Threat model\n\n## Threats\n- spoofing of the login form\n"
    result = evaluate(tmp_path, "plan.threat-model", {"threatmodel.yaml": MALFORMED, "THREAT_MODEL.md": doc})
    assert result.status is Status.PARTIAL
    assert result.score == 25
    assert result.evidence[0] == "threat model: THREAT_MODEL.md, threatmodel.yaml"
    assert result.skipped[0].line == 5


# -- plan.cia-requirements --------------------------------------------------------------------------


def test_cia_passes_when_every_asset_is_rated(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.cia-requirements", {"threatmodel.yaml": SHOP})
    assert result.status is Status.PASS
    assert result.summary == (
        "1 data asset(s) carry confidentiality, integrity and availability ratings with justifications"
    )
    assert result.evidence[0] == (
        "threatmodel.yaml:8: orders: C=high I=high A=medium, each with a justification; OWASP ASVS 5.0 L2 "
        "(253 requirements: secloop threatmodel requirements)"
    )
    assert result.evidence[1] == "requirements read from: threatmodel.yaml"


def test_cia_partial_when_an_asset_is_not_rated(tmp_path: Path) -> None:
    text = SHOP.replace("data_assets:\n", "data_assets:\n  - id: logs\n    classification: internal\n", 1)
    result = evaluate(tmp_path, "plan.cia-requirements", {"threatmodel.yaml": text})
    assert result.status is Status.PARTIAL
    assert result.summary == "1 of 2 data asset(s) have no C-I-A ratings: logs"
    assert result.score == 50
    assert "threatmodel.yaml:8: logs: no C-I-A ratings" in result.evidence


def test_cia_keeps_the_document_evidence(tmp_path: Path) -> None:
    reqs = "# Security requirements\n\nConfidentiality: high.\nIntegrity: high.\nAvailability: 99.9% SLO.\n"
    no_assets = "system:\n  name: x\n  scope: {in: [x]}\ncomponents: [{id: a, kind: process}]\n"
    result = evaluate(
        tmp_path, "plan.cia-requirements", {"SECURITY-REQUIREMENTS.md": reqs, "threatmodel.yaml": no_assets}
    )
    assert result.status is Status.PASS
    assert result.evidence[-1] == "threatmodel.yaml: the threat model lists no data assets"
    assert result.evidence[0] == "requirements read from: SECURITY-REQUIREMENTS.md, threatmodel.yaml"
    unrated = no_assets + "data_assets: [{id: d, classification: internal}]\n"
    again = evaluate(tmp_path, "plan.cia-requirements", {"threatmodel.yaml": unrated})
    assert again.status is Status.PASS
    assert again.summary.endswith("; the threat model's 1 data asset(s) are not rated yet")


def test_cia_with_a_malformed_model_reports_it_as_skipped(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.cia-requirements", {"threatmodel.yaml": MALFORMED})
    assert result.status is Status.FAIL
    assert result.skipped[0].path == "threatmodel.yaml"
    assert result.evidence[-1].startswith("threatmodel.yaml:5: malformed threat model: components[0].kind")


# -- plan.threat-derived-tests ----------------------------------------------------------------------


def test_threat_derived_tests_partial_with_some_verified(tmp_path: Path) -> None:
    files = {
        "threatmodel.yaml": SHOP,
        "tests/test_auth.py": "def test_orders_need_login():\n    pass\n",
    }
    result = evaluate(tmp_path, "plan.threat-derived-tests", files)
    assert result.status is Status.PARTIAL
    assert result.summary == "1 of 3 mitigated threat(s) have a verifying test in the repository"
    assert result.evidence == (
        "threatmodel.yaml:70: THREAT-7457C7B69C is verified by tests/test_auth.py::test_orders_need_login",
        "threatmodel.yaml:47: THREAT-FEEF870D61 (Requests across a trust boundary can flood a process) "
        "has no verifying test",
        "threatmodel.yaml:47: THREAT-4B5F2CDF7F (Data crossing a trust boundary can be altered in transit) "
        "has no verifying test",
    )


def test_generated_tests_that_name_the_threats_verify_them(tmp_path: Path) -> None:
    files = {"threatmodel.yaml": SHOP, "tests/test_auth.py": "def test_orders_need_login():\n    pass\n"}
    _write(tmp_path, files)
    write_tests(analysis(SHOP), tmp_path / "tests" / "threats")
    result = evaluate(tmp_path, "plan.threat-derived-tests", {})
    assert result.status is Status.PASS
    assert result.summary == "3 of 3 mitigated threat(s) have a verifying test in the repository"
    assert result.evidence == (
        "tests/threats/test_tm_order_752795.py:209: a test names THREAT-FEEF870D61",
        "tests/threats/test_tm_order_752795.py:178: a test names THREAT-4B5F2CDF7F",
        "threatmodel.yaml:70: THREAT-7457C7B69C is verified by tests/test_auth.py::test_orders_need_login",
    )


def test_threat_derived_tests_fail_when_linked_tests_are_missing(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.threat-derived-tests", {"threatmodel.yaml": SHOP})
    assert result.status is Status.FAIL
    assert result.summary == "0 of 3 mitigated threat(s) have a verifying test in the repository"
    assert result.evidence[-1] == (
        "threatmodel.yaml:70: THREAT-7457C7B69C links tests/test_auth.py::test_orders_need_login, "
        "which does not exist"
    )


def test_threat_derived_tests_without_mitigations_or_model(tmp_path: Path) -> None:
    bare = "system:\n  name: x\n  scope: {in: [x]}\ncomponents: [{id: a, kind: process}]\n"
    result = evaluate(tmp_path / "a", "plan.threat-derived-tests", {"threatmodel.yaml": bare})
    assert result.status is Status.FAIL
    assert result.summary == "no threat is mitigated yet, so no test verifies a mitigation"
    assert result.evidence == ("threatmodel.yaml: 1 threat(s), none mitigated",)
    none = evaluate(tmp_path / "b", "plan.threat-derived-tests", {"README.md": "x\n"})
    assert none.status is Status.FAIL
    assert none.summary == "no threat model, so no tests can be derived from one"
    broken = evaluate(tmp_path / "c", "plan.threat-derived-tests", {"threatmodel.yaml": MALFORMED})
    assert broken.status is Status.FAIL and broken.skipped[0].line == 5
