"""`secloop probe -f sarif`: the probe's findings through the project's SARIF renderer.

Every finding is located in the OpenAPI document: an operation that accepted bad credentials at the
operation's line, a response, cookie, CORS or TLS problem of the service at the document as a whole.
The probed URL is the related location. Authentication findings belong to `test.negative-auth`, the
others to `operate.production-scanning`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from secloop import __version__
from secloop.core.enums import Severity, Stage, Status
from secloop.core.model import Assessment, Finding, GateOutcome, Location, PracticeResult
from secloop.core.rules import RuleRegistry
from secloop.probe.engine import ProbeReport
from secloop.probe.rules import RULES

AUTH_PRACTICE = "test.negative-auth"
SCANNING_PRACTICE = "operate.production-scanning"


def _is_url(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https", "file")


def spec_location(spec: str, cwd: Path | None = None) -> str:
    """The document as SARIF can name it: relative to the working directory (the repository root in
    CI) when it lies below it, a file:// URI when it lies elsewhere, or the URL it was fetched from."""
    if _is_url(spec):
        return spec
    path = Path(spec)
    if not path.is_absolute():
        return path.as_posix()
    base = (cwd or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _located(finding: Finding, spec: str) -> Finding:
    primary = finding.primary
    if primary is not None and primary.start_line is not None:
        return replace(finding, locations=(replace(primary, path=spec), *finding.locations[1:]))
    return replace(finding, locations=(Location(spec), *finding.locations))


def assessment(
    report: ProbeReport, fail_on: Severity | None, created: datetime, cwd: Path | None = None
) -> Assessment:
    spec = spec_location(report.spec, cwd)
    auth = {rule.id for rule in RULES if rule.stage is Stage.TEST}
    findings = [_located(f, spec) for f in report.findings]
    failing = [f for f in findings if fail_on is not None and f.severity.at_least(fail_on)]
    results = []
    for practice, stage, mine in (
        (AUTH_PRACTICE, Stage.TEST, [f for f in findings if f.rule_id in auth]),
        (SCANNING_PRACTICE, Stage.OPERATE, [f for f in findings if f.rule_id not in auth]),
    ):
        results.append(
            PracticeResult(
                practice_id=practice,
                stage=stage,
                status=Status.FAIL if mine else Status.PASS,
                score=0 if mine else 100,
                summary=f"secloop probe {report.url}: {len(mine)} finding(s)",
                findings=tuple(mine),
            )
        )
    reasons = (f"{len(failing)} finding(s) at or above {fail_on.value}",) if failing and fail_on else ()
    return Assessment(
        target=report.url,
        commit=None,
        created_at=created,
        tool_version=__version__,
        config_digest="",
        results=tuple(results),
        gate=GateOutcome(not failing, fail_on, False, reasons),
    )


def _absolute_uris(node: Any) -> None:
    """The shared renderer names every artifact relative to %SRCROOT%; a URL is absolute instead."""
    if isinstance(node, dict):
        where = node.get("artifactLocation")
        if isinstance(where, dict) and _is_url(unquote(str(where.get("uri", "")))):
            node["artifactLocation"] = {"uri": unquote(where["uri"])}
        for value in node.values():
            _absolute_uris(value)
    elif isinstance(node, list):
        for value in node:
            _absolute_uris(value)


def render_sarif(
    report: ProbeReport, fail_on: Severity | None, created: datetime, cwd: Path | None = None
) -> str:
    import json

    from secloop.practices.catalog import load_catalog
    from secloop.report import sarif
    from secloop.report.interface import RenderInput

    data = RenderInput(assessment(report, fail_on, created, cwd), RuleRegistry(RULES), load_catalog())
    document = sarif.to_document(data)
    _absolute_uris(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
