from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from secloop.core.enums import Severity
from secloop.core.model import GateOutcome, PracticeResult
from secloop.report import junit
from secloop.report.interface import RenderInput


def _root(data: RenderInput) -> ET.Element:
    # Parsing our own output, never untrusted input.
    return ET.fromstring(junit.render(data))  # noqa: S314


def _case(root: ET.Element, name: str) -> ET.Element:
    (case,) = [c for c in root.iter("testcase") if c.get("name") == name]
    return case


def _with(data: RenderInput, **changes: object) -> RenderInput:
    return replace(data, assessment=replace(data.assessment, **changes))  # type: ignore[arg-type]


def test_one_suite_per_stage_with_counts(sample_assessment: RenderInput) -> None:
    root = _root(sample_assessment)
    assert root.tag == "testsuites"
    assert root.attrib == {
        "name": "secloop shop",
        "tests": "6",
        "failures": "1",
        "errors": "0",
        "skipped": "2",
    }
    assert [s.attrib for s in root.findall("testsuite")] == [
        {"name": "code", "tests": "2", "failures": "1", "errors": "0", "skipped": "0"},
        {"name": "build", "tests": "2", "failures": "0", "errors": "0", "skipped": "1"},
        {"name": "pipeline", "tests": "2", "failures": "0", "errors": "0", "skipped": "1"},
    ]
    assert [(c.get("classname"), c.get("name")) for c in root.iter("testcase")] == [
        ("secloop.code", "code.secrets"),
        ("secloop.code", "code.review"),
        ("secloop.build", "build.sast"),
        ("secloop.build", "build.sca"),
        ("secloop.pipeline", "pipeline.ppe"),
        ("secloop.pipeline", "pipeline.runners"),
    ]


def test_failed_practice_lists_its_findings(sample_assessment: RenderInput) -> None:
    case = _case(_root(sample_assessment), "code.secrets")
    (failure,) = list(case)
    assert failure.tag == "failure"
    assert failure.attrib == {"message": "1 active secret in the tree", "type": "fail"}
    assert failure.text == (
        "1 active secret in the tree\n"
        "evidence: src/app config.py:12: token committed\n"
        "CRITICAL TEST-SECRET src/app config.py:12:5: Token ghp_abcd… (sha256 1f2e3d4c) committed\n"
        "CRITICAL TEST-SECRET tests/fixtures/key.txt:3: Token ghp_ffff… (sha256 9a8b7c6d) committed "
        "[suppressed (inline): test fixture, not a real key]"
    )


def test_unknown_and_not_applicable_are_skipped_with_reason(sample_assessment: RenderInput) -> None:
    root = _root(sample_assessment)
    (unknown,) = list(_case(root, "build.sca"))
    assert (unknown.tag, unknown.attrib) == (
        "skipped",
        {"message": "unknown: the dependency engine is not available yet"},
    )
    (na,) = list(_case(root, "pipeline.runners"))
    assert (na.tag, na.attrib) == ("skipped", {"message": "not-applicable: no self-hosted runners are used"})


def test_pass_passes_and_partial_adds_output(sample_assessment: RenderInput) -> None:
    root = _root(sample_assessment)
    assert list(_case(root, "code.review")) == []
    # pipeline.ppe passes: its high finding is suppressed, so it does not count against the gate.
    assert list(_case(root, "pipeline.ppe")) == []
    (out,) = list(_case(root, "build.sast"))
    assert out.tag == "system-out"
    assert out.text == (
        "SAST runs on push but not on pull requests\n"
        "evidence: .github/workflows/ci.yml: bandit on push\n"
        "MEDIUM TEST-XSS web/views.py:40:9: request.args['q'] rendered with |safe [baseline unchanged]"
    )


def test_active_finding_at_threshold_fails_a_passing_practice(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    ppe = a.results[4]
    active = replace(ppe.findings[0], suppression=None)
    results = (*a.results[:4], replace(ppe, findings=(active,)), a.results[5])
    root = _root(_with(sample_assessment, results=results))
    (failure,) = list(_case(root, "pipeline.ppe"))
    assert failure.attrib == {"message": "1 active finding(s) at or above high", "type": "gate"}
    assert failure.text == (
        "no privileged workflow checks out untrusted code\n"
        "evidence: .github/workflows/pr.yml: 1 finding suppressed\n"
        "HIGH TEST-PPE .github/workflows/pr.yml:18:7: Job build checks out "
        "${{ github.event.pull_request.head.sha }}"
    )
    assert root.attrib["failures"] == "2"


def test_active_finding_below_threshold_or_without_gate_passes(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    assert a.gate is not None
    ppe = a.results[4]
    active = replace(ppe.findings[0], suppression=None)
    results = (*a.results[:4], replace(ppe, findings=(active,)), a.results[5])
    critical_only = replace(a.gate, fail_on=Severity.CRITICAL)
    assert (
        list(_case(_root(_with(sample_assessment, results=results, gate=critical_only)), "pipeline.ppe"))
        == []
    )
    assert list(_case(_root(_with(sample_assessment, results=results, gate=None)), "pipeline.ppe")) == []
    no_threshold = GateOutcome(True, None, False, ())
    assert (
        list(_case(_root(_with(sample_assessment, results=results, gate=no_threshold)), "pipeline.ppe")) == []
    )


def test_baseline_unchanged_findings_do_not_fail_a_practice(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    sast = a.results[2]
    high = replace(sast.findings[0], severity=Severity.CRITICAL)
    results = (*a.results[:2], replace(sast, findings=(high,)), *a.results[3:])
    (out,) = list(_case(_root(_with(sample_assessment, results=results)), "build.sast"))
    assert out.tag == "system-out"


def test_unknown_practice_with_blocking_finding_fails(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    sca = a.results[3]
    blocking = replace(a.results[0].findings[0], rule_id="TEST-PPE", locations=())
    results = (*a.results[:3], replace(sca, findings=(blocking,)), *a.results[4:])
    (failure,) = list(_case(_root(_with(sample_assessment, results=results)), "build.sca"))
    assert failure.tag == "failure"
    assert failure.attrib["type"] == "gate"
    assert failure.text is not None
    assert failure.text.endswith("\nCRITICAL TEST-PPE: Token ghp_abcd… (sha256 1f2e3d4c) committed")


def test_empty_assessment(sample_assessment: RenderInput) -> None:
    empty: tuple[PracticeResult, ...] = ()
    root = _root(_with(sample_assessment, results=empty))
    assert root.attrib == {
        "name": "secloop shop",
        "tests": "0",
        "failures": "0",
        "errors": "0",
        "skipped": "0",
    }
    assert list(root) == []


def test_xml_is_deterministic_and_declares_utf8(sample_assessment: RenderInput) -> None:
    text = junit.render(sample_assessment)
    assert text == junit.render(sample_assessment)
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites ")
    assert text.endswith("</testsuites>\n")
