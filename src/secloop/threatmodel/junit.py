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
from secloop.threatmodel.schema import ThreatStatus

VERIFIED, FAILED, UNVERIFIED = "verified", "failed", "unverified"


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


def verify(analysis: Analysis, cases: list[Case], source: str) -> Analysis:
    """The analysis with each threat's verification; failed threats are open again."""
    by_threat: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if case.name.startswith("test_threat_"):
            by_threat["THREAT-" + case.name.split("_")[2].upper()].append(case)
    results: dict[str, Verification] = {}
    threats: list[ThreatRecord] = []
    for t in analysis.threats:
        linked = list(by_threat.get(t.id, []))
        for ref in t.tests:
            linked += [c for c in cases if _matches(ref, c) and c not in linked]
        shown = tuple(f"{c.classname}::{c.name}" for c in linked)
        failed = [c for c in linked if c.outcome == "failed"]
        if failed:
            reason = (
                f"{failed[0].classname}::{failed[0].name} failed in {source}: {failed[0].message}".rstrip(
                    ": "
                )
            )
            results[t.id] = Verification(FAILED, shown, reason)
            threats.append(replace(t, status=ThreatStatus.OPEN, reason=reason))
        elif any(c.outcome == "passed" for c in linked):
            results[t.id] = Verification(VERIFIED, shown)
            threats.append(t)
        else:
            why = "no linked test ran" if not linked else "its tests were skipped or expected to fail"
            results[t.id] = Verification(UNVERIFIED, shown, why)
            threats.append(t)
    flows = {t.target for t in threats if t.target_kind == "flow" and results[t.id].state == VERIFIED}
    cov = analysis.coverage
    coverage = Coverage(cov.crossing_flows, cov.considered, tuple(k for k in cov.considered if k in flows))
    return replace(analysis, threats=tuple(threats), coverage=coverage, verification=results)
