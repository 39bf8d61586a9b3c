"""Plan-stage practices: requirements, privacy, threat modelling, threat-derived tests, work mix."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.enums import Status
from secloop.practices.evaluators import plan
from secloop.sources.repo import Repo
from tests.practices._repo_helpers_a import evaluate, practices, write

FOUR_QUESTIONS = """\
# Threat model: orders service

## What are we working on?
The orders API and its data flows to the payment provider.

## What can go wrong?
THREAT-1: an attacker replays a payment callback.

## What are we going to do about it?
Mitigation: callbacks are signed and checked.

## Did we do a good enough job?
Reviewed at the quarterly retrospective.
"""


def test_catalog_entries_of_the_plan_stage() -> None:
    ids = {p for p in practices() if p.startswith("plan.")}
    assert ids == set(plan.EVALUATORS)
    assert practices()["plan.work-item-mix"].engine == "delivery"
    assert practices()["plan.threat-model"].reference.startswith("Threat Modeling Manifesto")


# -- plan.threat-model -------------------------------------------------------------------------


def test_threat_model_missing_fails(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, "plan.threat-model", {"README.md": "# app\n", "node_modules/x/threat-model.md": ""}
    )
    assert result.status is Status.FAIL
    assert result.summary.startswith("no threat model found")


def test_threat_model_answering_the_four_questions_passes(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.threat-model", {"docs/threat-model.md": FOUR_QUESTIONS})
    assert result.status is Status.PASS
    assert result.evidence == (
        "threat model: docs/threat-model.md",
        "docs/threat-model.md:3: answers 'what are we working on?'",
        "docs/threat-model.md:6: answers 'what can go wrong?'",
        "docs/threat-model.md:9: answers 'what are we going to do about it?'",
        "docs/threat-model.md:12: answers 'did we do a good enough job?'",
    )


def test_threat_model_missing_questions_is_partial(tmp_path: Path) -> None:
    text = "# Threat model\n\n## Threats\n- spoofing of the login form\n"
    result = evaluate(tmp_path, "plan.threat-model", {"THREAT_MODEL.md": text})
    assert result.status is Status.PARTIAL
    assert result.summary == (
        "a threat model exists but does not visibly answer: 'what are we working on?'; "
        "'what are we going to do about it?'; 'did we do a good enough job?'"
    )
    assert result.score == 25
    assert result.evidence[1] == "THREAT_MODEL.md:3: answers 'what can go wrong?'"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("threagile.yaml", "technical_assets:\n  api: {}\n"),
        ("models/payments.tm.yaml", "scope: payments\n"),
        ("threatmodel.yml", "scope: x\n"),
        ("security/tm.py", "from pytm import TM, Server\ntm = TM('orders')\n"),
        ("docs/threat-models/orders.json", '{"summary": {"title": "x"}, "detail": {"diagrams": []}}'),
    ],
)
def test_threat_model_formats_are_recognised(tmp_path: Path, path: str, text: str) -> None:
    result = evaluate(tmp_path, "plan.threat-model", {path: text, "src/other.py": "import os\n"})
    assert result.status is Status.PARTIAL
    assert result.evidence[0] == f"threat model: {path}"


def test_python_and_json_files_that_are_not_models_are_ignored(tmp_path: Path) -> None:
    files = {"src/tm_utils.py": "import os\n", "threat/data.json": '{"summary": 1}', "tm/x.json": "{}"}
    assert plan.threat_models(Repo(write(tmp_path, files))) == []


def test_unreadable_tm7_is_partial_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "model.tm7").write_bytes(b"<\x00T\x00M\x00>")
    result = evaluate(tmp_path, "plan.threat-model", {})
    assert result.status is Status.PARTIAL
    assert result.evidence == (
        "threat model: model.tm7",
        "model.tm7: not readable as text, so its answers cannot be checked",
    )


# -- plan.threat-derived-tests -----------------------------------------------------------------


def test_threat_derived_tests_fail_without_a_threat_model(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.threat-derived-tests", {"tests/test_a.py": "# THREAT-1\n"})
    assert result.status is Status.FAIL
    assert result.summary == "no threat model, so no tests can be derived from one"


def test_tests_referencing_threat_ids_are_partial(tmp_path: Path) -> None:
    files = {
        "threat-model.md": FOUR_QUESTIONS + "AUTH-7: session fixation\nCWE-79 applies too\n",
        "tests/test_callbacks.py": "import x\n\n\ndef test_replay() -> None:  # THREAT-1\n    pass\n",
        "web/login.spec.ts": "it('rotates the session', () => {}) // AUTH-7\n",
        "src/app.py": "# THREAT-2 is not a test\n",
    }
    result = evaluate(tmp_path, "plan.threat-derived-tests", files)
    assert result.status is Status.PARTIAL
    assert result.summary.startswith("2 test line(s) reference threat ids (AUTH-7, THREAT-1)")
    assert result.evidence == (
        "tests/test_callbacks.py:4: def test_replay() -> None:  # THREAT-1",
        "web/login.spec.ts:1: it('rotates the session', () => {}) // AUTH-7",
    )


def test_threat_model_without_linked_tests_is_unknown(tmp_path: Path) -> None:
    files = {
        "threat-model.md": "CWE-79 is in scope\n",
        "tests/test_xss.py": "# covers CWE-79\n",
    }
    result = evaluate(tmp_path, "plan.threat-derived-tests", files)
    assert result.status is Status.UNKNOWN
    assert "needs the threatmodel engine" in result.summary
    assert result.evidence == ("threat model: threat-model.md", "1 test file(s) searched")


# -- plan.cia-requirements ---------------------------------------------------------------------


def test_cia_requirements_missing_fail(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.cia-requirements", {"requirements.txt": "flask\n"})
    assert result.status is Status.FAIL
    assert result.summary.startswith("no security requirements document")


def test_cia_requirements_all_three_pass(tmp_path: Path) -> None:
    text = (
        "# Security requirements\n\nConfidentiality: card data is encrypted.\nIntegrity: orders are signed.\n"
    )
    text += "Availability: 99.9% monthly.\n"
    result = evaluate(tmp_path, "plan.cia-requirements", {"SECURITY-REQUIREMENTS.md": text})
    assert result.status is Status.PASS
    assert result.evidence == (
        "requirements read from: SECURITY-REQUIREMENTS.md",
        "SECURITY-REQUIREMENTS.md:3: states confidentiality (Confidentiality: card data is encrypted.)",
        "SECURITY-REQUIREMENTS.md:4: states integrity (Integrity: orders are signed.)",
        "SECURITY-REQUIREMENTS.md:5: states availability (Availability: 99.9% monthly.)",
    )


def test_cia_requirements_incomplete_is_partial(tmp_path: Path) -> None:
    text = "Customer data confidentiality is required.\n"
    result = evaluate(tmp_path, "plan.cia-requirements", {"docs/security/requirements.md": text})
    assert result.status is Status.PARTIAL
    assert result.summary == "security requirements exist but do not state integrity, availability"
    assert result.score == 50
    empty = evaluate(tmp_path / "b", "plan.cia-requirements", {"docs/security/requirements.md": "TBD\n"})
    assert empty.status is Status.PARTIAL
    assert empty.score == 25


def test_threagile_assets_with_cia_ratings_pass(tmp_path: Path) -> None:
    text = "data_assets:\n  orders:\n    confidentiality: confidential\n    integrity: critical\n"
    text += "    availability: important\n"
    result = evaluate(tmp_path, "plan.cia-requirements", {"threagile.yaml": text})
    assert result.status is Status.PASS


def test_threat_model_without_cia_fails(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.cia-requirements", {"threat-model.md": "## Threats\n"})
    assert result.status is Status.FAIL
    assert result.summary.startswith("a threat model exists but neither it nor a requirements document")


# -- plan.privacy-requirements -----------------------------------------------------------------


def test_privacy_requirements_missing_fail(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.privacy-requirements", {"docs/utopia.md": "retention\n"})
    assert result.status is Status.FAIL


def test_privacy_document_with_inventory_and_retention_passes(tmp_path: Path) -> None:
    text = "# Privacy\n\nPII held: email, address.\nRetention: orders are deleted after 2 years.\n"
    result = evaluate(tmp_path, "plan.privacy-requirements", {"docs/PRIVACY.md": text})
    assert result.status is Status.PASS
    assert result.summary == (
        "privacy requirements list the personal data and how long it is kept "
        "(not stated: an impact assessment or lawful basis)"
    )
    assert result.evidence == (
        "privacy document: docs/PRIVACY.md",
        "docs/PRIVACY.md:3: covers a personal-data inventory",
        "docs/PRIVACY.md:4: covers retention and deletion",
    )


def test_privacy_section_in_security_requirements_counts(tmp_path: Path) -> None:
    text = "# Requirements\n\n## Privacy\nPersonal data: names.\nWe retain logs 30 days. A DPIA was done.\n"
    result = evaluate(tmp_path, "plan.privacy-requirements", {"security-requirements.md": text})
    assert result.status is Status.PASS
    assert result.summary == "privacy requirements list the personal data and how long it is kept"
    assert result.evidence[0] == "security-requirements.md:3: privacy section"


def test_privacy_without_inventory_or_retention_is_partial(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.privacy-requirements", {"docs/dpia.md": "DPIA: done in 2025.\n"})
    assert result.status is Status.PARTIAL
    assert result.summary == (
        "privacy is addressed but the requirements do not state a personal-data inventory "
        "or retention and deletion"
    )
    assert result.score == 50


# -- plan.work-item-mix ------------------------------------------------------------------------


def test_work_item_mix_needs_the_delivery_engine(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "plan.work-item-mix", {"README.md": "x\n"})
    assert result.status is Status.UNKNOWN
    assert (
        result.summary == "needs work-item data from the delivery engine (secloop flow) or an issue tracker"
    )
