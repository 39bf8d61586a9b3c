"""JUnit XML: one <testsuite> per stage, one <testcase> per practice, for CI test-report widgets.

A practice fails when its status is fail, or when it carries an active finding at or above the
gate's severity threshold (so the CI widget agrees with the exit code). Unknown and not-applicable
practices are skipped with their reason; pass and partial pass, partial with its summary as output.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from secloop.core.enums import Severity, Stage, Status
from secloop.core.model import Finding, PracticeResult
from secloop.report.interface import RenderInput


def _finding_line(f: Finding) -> str:
    where = f" {f.primary}" if f.primary else ""
    marks = []
    if f.baseline_state.value != "new":
        marks.append(f"baseline {f.baseline_state.value}")
    if f.suppression is not None:
        s = f.suppression
        until = f" until {s.expires.isoformat()}" if s.expires else ""
        marks.append(f"suppressed ({s.kind}{until}): {s.reason}")
    mark = f" [{'; '.join(marks)}]" if marks else ""
    return f"{f.severity.value.upper()} {f.rule_id}{where}: {f.message}{mark}"


def _details(r: PracticeResult) -> str:
    lines = [r.summary]
    lines += [f"evidence: {e}" for e in r.evidence]
    lines += [_finding_line(f) for f in sorted(r.findings, key=Finding.sort_key)]
    return "\n".join(lines)


def _blocking(r: PracticeResult, threshold: Severity | None) -> list[Finding]:
    if threshold is None:
        return []
    return [f for f in r.findings if f.active and f.severity.at_least(threshold)]


def _testcase(r: PracticeResult, threshold: Severity | None) -> tuple[ET.Element, str]:
    case = ET.Element("testcase", {"classname": f"secloop.{r.stage.value}", "name": r.practice_id})
    blocking = _blocking(r, threshold)
    if r.status is Status.FAIL or blocking:
        if r.status is Status.FAIL:
            attrs = {"message": r.summary, "type": "fail"}
        else:
            assert threshold is not None
            message = f"{len(blocking)} active finding(s) at or above {threshold.value}"
            attrs = {"message": message, "type": "gate"}
        ET.SubElement(case, "failure", attrs).text = _details(r)
        return case, "failure"
    if r.status in (Status.UNKNOWN, Status.NOT_APPLICABLE):
        ET.SubElement(case, "skipped", {"message": f"{r.status.value}: {r.summary}"})
        return case, "skipped"
    if r.status is Status.PARTIAL:
        ET.SubElement(case, "system-out").text = _details(r)
    return case, "passed"


def _suite(stage: Stage, results: Sequence[PracticeResult], threshold: Severity | None) -> ET.Element:
    cases = [_testcase(r, threshold) for r in results]
    outcomes = [outcome for _, outcome in cases]
    suite = ET.Element(
        "testsuite",
        {
            "name": stage.value,
            "tests": str(len(cases)),
            "failures": str(outcomes.count("failure")),
            "errors": "0",
            "skipped": str(outcomes.count("skipped")),
        },
    )
    suite.extend(case for case, _ in cases)
    return suite


def render(data: RenderInput) -> str:
    a = data.assessment
    threshold = a.gate.fail_on if a.gate else None
    suites = [
        _suite(stage, [r for r in a.results if r.stage is stage], threshold)
        for stage in Stage
        if any(r.stage is stage for r in a.results)
    ]
    root = ET.Element(
        "testsuites",
        {
            "name": f"secloop {a.target}",
            "tests": str(sum(int(s.get("tests", "0")) for s in suites)),
            "failures": str(sum(int(s.get("failures", "0")) for s in suites)),
            "errors": "0",
            "skipped": str(sum(int(s.get("skipped", "0")) for s in suites)),
        },
    )
    root.extend(suites)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
