"""The analysis: stable ids, answers merged in, statuses, exposure, coverage and the gate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from secloop.core.enums import Severity
from secloop.threatmodel.engine import linked_test_exists, threat_id
from secloop.threatmodel.schema import ThreatStatus
from tests.threatmodel.conftest import FIXTURES, analysis

SHOP = (FIXTURES / "shop.yaml").read_text("utf-8")

TWO_FLOWS = """\
system: {name: Two flows, scope: {in: [api]}}
data_assets:
  - id: card
    classification: restricted
actors:
  - id: user
components:
  - id: api
    kind: process
    properties: {authentication: session, authorization: rbac}
  - id: db
    kind: data-store
flows:
  - id: login
    source: user
    destination: api
    protocol: http
    data: [card]
  - source: api
    destination: db
    protocol: postgresql
trust_boundaries:
  - id: inet
    components: [user]
  - id: app
    components: [api]
  - id: data
    parent: app
    components: [db]
"""


def _ids(text: str) -> list[tuple[str, str | None, str]]:
    return sorted((t.id, t.rule_id, t.target) for t in analysis(text).threats)


def test_threat_ids_are_a_hash_of_rule_and_element() -> None:
    assert threat_id("TM-SPOOF-FLOW-CALLER", "flow:order") == "THREAT-7457C7B69C"
    shop = analysis(SHOP)
    caller = next(t for t in shop.threats if t.rule_id == "TM-SPOOF-FLOW-CALLER")
    assert (caller.id, caller.target_key, caller.line) == ("THREAT-7457C7B69C", "flow:order", 70)


def test_reordering_and_reformatting_the_model_keeps_every_id() -> None:
    original = _ids(TWO_FLOWS)
    doc = yaml.safe_load(TWO_FLOWS)
    for key in ("flows", "components", "trust_boundaries"):
        doc[key].reverse()
    reordered = {key: doc[key] for key in reversed(list(doc))}
    flowed = yaml.safe_dump(reordered, default_flow_style=True, width=60)
    assert flowed != TWO_FLOWS
    assert _ids(flowed) == original
    assert _ids("# a comment first\n\n" + yaml.safe_dump(reordered, indent=4)) == original
    assert original == [
        ("THREAT-0A5005C1D1", "TM-INFO-TRACE-ENABLED", "api"),
        ("THREAT-1EC14C0F75", "TM-SPOOF-SESSION-COOKIE", "api"),
        ("THREAT-236C8C9354", "TM-EOP-FLAT-NETWORK", "api"),
        ("THREAT-305B7FC475", "TM-TAMPER-INPUT-VALIDATION", "api"),
        ("THREAT-361C83FB91", "TM-TAMPER-FLOW-IN-TRANSIT", "api->db"),
        ("THREAT-3B5E196B47", "TM-EOP-NO-REAUTHENTICATION", "api"),
        ("THREAT-3C8F15A9BE", "TM-INFO-SENSITIVE-CACHED", "api"),
        ("THREAT-432ACFD3A3", "TM-DOS-FLOW-FLOODING", "login"),
        ("THREAT-44E9637A25", "TM-TAMPER-VULNERABLE-DEPENDENCIES", "api"),
        ("THREAT-4615141CF4", "TM-SPOOF-LOGOUT-NOT-ENFORCED", "api"),
        ("THREAT-472E070F20", "TM-DOS-REQUEST-SIZE", "api"),
        ("THREAT-65CA3D587B", "TM-INFO-ACCOUNT-ENUMERATION", "api"),
        ("THREAT-7184081B79", "TM-INFO-CLEARTEXT-SENSITIVE-FLOW", "login"),
        ("THREAT-743A454448", "TM-SPOOF-SESSION-NO-TIMEOUT", "api"),
        ("THREAT-98B2238A2D", "TM-SPOOF-SESSION-FIXATION", "api"),
        ("THREAT-98CACD6899", "TM-REPUDIATION-NO-LOGGING", "api"),
        ("THREAT-A0CBE4FB7D", "TM-SPOOF-FLOW-CALLER", "login"),
        ("THREAT-C80DAB0063", "TM-EOP-IDOR", "api"),
        ("THREAT-DB1193C062", "TM-EOP-DATABASE-OVER-PRIVILEGED", "api->db"),
        ("THREAT-DB639D149E", "TM-SPOOF-SILENT-ACCOUNT-CHANGES", "api"),
        ("THREAT-DDC15C06C8", "TM-TAMPER-NO-SBOM", "api"),
        ("THREAT-E688EB98A2", "TM-TAMPER-STORE-NO-ACCESS-CONTROL", "db"),
        ("THREAT-E6F951425F", "TM-TAMPER-FLOW-IN-TRANSIT", "login"),
        ("THREAT-F76EE4798E", "TM-INFO-VERSION-DISCLOSURE", "api"),
        ("THREAT-FBE9269863", "TM-INFO-OVERSHARING-API", "api"),
    ]


def test_renaming_an_element_changes_only_its_threat_ids() -> None:
    before = {(rule, target): ident for ident, rule, target in _ids(TWO_FLOWS)}
    after = {
        (rule, target): ident for ident, rule, target in _ids(TWO_FLOWS.replace("id: login", "id: signin"))
    }
    assert before[("TM-SPOOF-FLOW-CALLER", "login")] != after[("TM-SPOOF-FLOW-CALLER", "signin")]
    key = ("TM-TAMPER-FLOW-IN-TRANSIT", "api->db")
    assert before[key] == after[key] == "THREAT-361C83FB91"


def test_answers_hand_written_threats_and_auto_mitigation() -> None:
    shop = analysis(SHOP)
    rows = [(t.rule_id, t.target, t.status.value, t.triaged, t.generated, t.line) for t in shop.threats]
    assert rows == [
        ("TM-INFO-PII-IN-LOGS", "api", "open", False, True, 19),
        ("TM-DOS-FLOW-FLOODING", "order", "mitigated", False, True, 47),
        ("TM-LINDDUN-IDENTIFYING-URL", "order", "open", False, True, 47),
        ("TM-TAMPER-FLOW-IN-TRANSIT", "order", "mitigated", False, True, 47),
        ("TM-SPOOF-FLOW-CALLER", "order", "mitigated", True, True, 70),
        ("TM-TAMPER-SQL-INJECTION", "store", "accepted", True, True, 76),
    ]
    flood = shop.threats[1]
    assert (
        flood.reason
        == "the model states the control (rate_limited = true or destination.rate_limiting = true)"
    )
    sql = shop.threats[5]
    assert (sql.reason, sql.expires, sql.severity) == (
        "The ORM builds every query.",
        date(2027, 1, 31),
        Severity.HIGH,
    )


def test_an_answer_for_a_rule_that_does_not_fire_is_kept_as_a_considered_threat() -> None:
    text = TWO_FLOWS + (
        "threats:\n"
        "  - rule: TM-SPOOF-ADMIN-NO-MFA\n    target: api\n"
        "    status: not-applicable\n    reason: no admin UI\n"
        "  - id: T-1\n    target: login\n    title: Card data replayed\n    category: tampering\n"
        "    severity: critical\n"
    )
    result = analysis(text)
    admin = next(t for t in result.threats if t.rule_id == "TM-SPOOF-ADMIN-NO-MFA")
    assert (admin.generated, admin.triaged, admin.status, admin.target_kind) == (
        False,
        True,
        ThreatStatus.NOT_APPLICABLE,
        "process",
    )
    hand = next(t for t in result.threats if t.id == "T-1")
    assert (hand.rule_id, hand.severity, hand.target_kind, hand.line) == (None, Severity.CRITICAL, "flow", 35)
    assert hand in result.unmitigated(Severity.CRITICAL)


def test_exposure_follows_trust_and_boundaries() -> None:
    facts = analysis(TWO_FLOWS).facts
    api, db = facts.endpoints["api"], facts.endpoints["db"]
    assert (api["exposed"], api["untrusted_callers"], api["unauthenticated_callers"]) == (True, True, True)
    # api -> db crosses into a nested boundary from the enclosing one: a boundary, not an exposure.
    assert (db["exposed"], db["untrusted_callers"]) == (False, False)
    login = facts.flow_facts["login"].own
    assert (login["crosses_boundary"], login["encrypted"], login["authenticated"], login["http"]) == (
        True,
        False,
        None,
        True,
    )
    assert login["max_classification"] == "restricted"
    assert facts.flow_facts["api->db"].own["crosses_boundary"] is True


def test_coverage_counts_crossing_flows_with_a_threat_and_an_existing_test(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_auth.py").write_text("def test_orders_need_login():\n    pass\n", "utf-8")
    with_test = analysis(SHOP, root=tmp_path)
    assert with_test.tests == {"tests/test_auth.py::test_orders_need_login": True}
    cov = with_test.coverage
    assert (cov.crossing_flows, cov.considered, cov.verified, cov.share) == (
        ("order",),
        ("order",),
        ("order",),
        1.0,
    )
    without = analysis(SHOP, root=tmp_path / "elsewhere")
    assert without.tests == {"tests/test_auth.py::test_orders_need_login": False}
    assert without.coverage.share == 0.0
    assert analysis(SHOP).coverage.share == 1.0  # no root: test existence unknown, not held against it


def test_test_references(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("class TestX:\n    def test_a(self):\n        pass\n", "utf-8")
    assert linked_test_exists(tmp_path, "t.py")
    assert linked_test_exists(tmp_path, "t.py::TestX::test_a")
    assert linked_test_exists(tmp_path, "t.py::test_a[param]")
    assert not linked_test_exists(tmp_path, "t.py::test_b")
    assert not linked_test_exists(tmp_path, "u.py")


def test_gate_fails_on_open_high_threats_and_expired_acceptances() -> None:
    shop = analysis(SHOP)
    assert shop.gate(Severity.HIGH) == (True, ())
    assert shop.gate(Severity.MEDIUM) == (False, ("1 open threat(s) at or above medium: THREAT-ADFC662253",))
    late = analysis(SHOP, today=date(2027, 2, 1))
    assert late.expired[0].id == "THREAT-7175BA620C"
    assert late.gate(None) == (False, ("THREAT-7175BA620C: risk acceptance expired on 2027-01-31",))
    assert late.threats[5].unresolved(late.today)
    assert analysis(TWO_FLOWS).gate(Severity.MEDIUM) == (
        False,
        (
            "20 open threat(s) at or above medium: THREAT-472E070F20, THREAT-236C8C9354, THREAT-C80DAB0063, "
            "THREAT-3B5E196B47, THREAT-FBE9269863 …",
        ),
    )
