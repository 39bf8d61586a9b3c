"""Verified mitigations: a threat's linked tests judged by the latest test run (JUnit XML).

A threat's tests are the ones its mitigations link (`path`, `path::test`, `path::Class::test`) and
the generated tests that carry its id in their name (`test_threat_<id>_...`). In the run: any of
them failed or errored -> the threat is open again, with the failure as the reason; otherwise any
passed -> verified; otherwise (none ran, or all skipped or xfailed) -> unverified.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from secloop.core.errors import Place
from secloop.threatmodel.engine import Analysis, Coverage, ThreatRecord
from secloop.threatmodel.problems import ModelError, Problem
from secloop.threatmodel.reportlink import SecloopReport, judge, links
from secloop.threatmodel.schema import ThreatStatus

VERIFIED, FAILED, UNVERIFIED = "verified", "failed", "unverified"
STATE = {"passed": VERIFIED, "failed": FAILED, "absent": UNVERIFIED}


@dataclass(frozen=True, slots=True)
class Case:
    classname: str  # dotted module, then the class if any: "tests.test_auth.TestLogin"
    name: str  # without parameters: "test_x" for "test_x[a-1]"
    outcome: str  # passed, failed, skipped
    message: str


@dataclass(frozen=True, slots=True)
class Verification:
    state: str
    tests: tuple[str, ...]
    reason: str | None = None
    checks: tuple[str, ...] = ()  # linked sast/iac checks judged by a secloop report


def _parse(path: Path) -> ET.Element:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError([Problem(Place(str(path)), "the JUnit file does not exist")]) from None
    # Entity tricks (XXE, expansion bombs) need a DTD; JUnit reports never carry one.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ModelError([Problem(Place(str(path), 1), "a JUnit file with a DTD is not accepted")])
    try:
        return ET.fromstring(data)  # noqa: S314  # nosec B314: no DTD reaches the parser (checked above)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ModelError(
            [
                Problem(
                    Place(str(path), line, column + 1),
                    f"not JUnit XML: {exc}",
                    hint="pass pytest's --junitxml file",
                )
            ]
        ) from None


def read_junit(path: Path) -> list[Case]:
    cases: list[Case] = []
    for case in _parse(path).iter("testcase"):
        classname = case.get("classname", "")
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                lines = (child.text or "").strip().splitlines()
                message = child.get("message") or (lines[-1] if lines else child.tag)
                break
            if child.tag == "skipped":
                outcome, message = "skipped", child.get("message", "")
        name = case.get("name", "").split("[")[0]
        cases.append(Case(classname, name, outcome, message))
    return cases


def _ref_parts(ref: str) -> tuple[str, list[str]]:
    path, *names = ref.split("::")
    return path.removesuffix(".py").replace("/", ".").replace("\\", "."), [n.split("[")[0] for n in names]


def _matches(ref: str, case: Case) -> bool:
    module, names = _ref_parts(ref)
    dotted = ".".join([module, *names[:-1]])  # a class is part of pytest's classname
    same_place = (
        case.classname == dotted
        or case.classname.endswith("." + dotted)
        or dotted.endswith("." + case.classname)
    )
    if not names:  # a whole file: its module or any class in it
        return (
            same_place
            or case.classname.startswith(module + ".")
            or ("." + case.classname).endswith("." + module)
        )
    return same_place and case.name == names[-1]


def _test_outcome(t: ThreatRecord, linked: list[Case], source: str) -> tuple[str, str | None]:
    failed = [c for c in linked if c.outcome == "failed"]
    if failed:
        reason = f"{failed[0].classname}::{failed[0].name} failed in {source}: {failed[0].message}"
        return FAILED, reason.rstrip(": ")
    if any(c.outcome == "passed" for c in linked):
        return VERIFIED, None
    return UNVERIFIED, "no linked test ran" if not linked else "its tests were skipped or expected to fail"


def verify(
    analysis: Analysis,
    cases: list[Case] | None,
    source: str = "",
    report: SecloopReport | None = None,
) -> Analysis:
    """The analysis with each threat's verification; failed threats are open again.

    ``cases`` is the JUnit run (None: not given), ``report`` a secloop JSON report judging the
    mitigations' sast/iac links. A failure in either reopens the threat; otherwise any passing
    test or clean check verifies it; otherwise it is unverified with every reason.
    """
    by_threat: dict[str, list[Case]] = defaultdict(list)
    for case in cases or ():
        if case.name.startswith("test_threat_"):
            by_threat["THREAT-" + case.name.split("_")[2].upper()].append(case)
    results: dict[str, Verification] = {}
    threats: list[ThreatRecord] = []
    for t in analysis.threats:
        states: list[tuple[str, str | None]] = []
        shown: tuple[str, ...] = ()
        if cases is not None:
            linked = list(by_threat.get(t.id, []))
            for ref in t.tests:
                linked += [c for c in cases if _matches(ref, c) and c not in linked]
            shown = tuple(f"{c.classname}::{c.name}" for c in linked)
            if linked or t.tests or report is None or not any(links(m) for m in t.mitigations):
                states.append(_test_outcome(t, linked, source))
        checks: tuple[str, ...] = ()
        if report is not None:
            outcomes = judge(t.mitigations, report)
            checks = tuple(o.link for o in outcomes)
            states += [(STATE[o.outcome], o.reason) for o in outcomes]
            if not outcomes and cases is None:
                states.append((UNVERIFIED, "no linked SAST rule or IaC check"))
        failed = next((reason for state, reason in states if state == FAILED), None)
        if failed is not None:
            results[t.id] = Verification(FAILED, shown, failed, checks)
            threats.append(replace(t, status=ThreatStatus.OPEN, reason=failed))
        elif any(state == VERIFIED for state, _ in states):
            results[t.id] = Verification(VERIFIED, shown, None, checks)
            threats.append(t)
        else:
            why = "; ".join(reason for _, reason in states if reason)
            results[t.id] = Verification(UNVERIFIED, shown, why or None, checks)
            threats.append(t)
    flows = {t.target for t in threats if t.target_kind == "flow" and results[t.id].state == VERIFIED}
    cov = analysis.coverage
    coverage = Coverage(cov.crossing_flows, cov.considered, tuple(k for k in cov.considered if k in flows))
    return replace(analysis, threats=tuple(threats), coverage=coverage, verification=results)
