"""Executable pytest files derived from threats, run over the HTTP entry points of the model.

Every threat whose rule names a test kind gets a test on an HTTP flow: its own flow, or for a
component (or a non-HTTP flow out of it) the HTTP flow that reaches it. A test checks the control
against the threat: an authenticated flow answers 401 without credentials, an encrypted flow refuses
plain HTTP, a rate-limited one answers 429, probes find no injection, and so on. A threat that is
mitigated gets a plain test, so a claimed mitigation becomes a verified one; a threat still open
gets the same test as a strict xfail, which fails the run once the control works and the model has
not caught up. Tests need only pytest and the standard library; every value taken from the model
enters the generated code through `repr`.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from secloop.core.baseline import write_atomic
from secloop.core.fingerprint import digest
from secloop.threatmodel.engine import Analysis, ThreatRecord
from secloop.threatmodel.schema import Flow, ThreatStatus
from secloop.threatmodel.testcode import CONFTEST, HEADER, HELPERS, KINDS, MARKER, render_test, suffix
from secloop.threatmodel.testcreds import NEEDS_CONFIGURATION
from secloop.threatmodel.testrepo import NET_HEADER, NET_KINDS, REPO_HEADER, REPO_HELPERS, REPO_KINDS

__all__ = [
    "MARKER",
    "WrittenTests",
    "env_name",
    "file_name",
    "plan_tests",
    "runnable_share",
    "share",
    "write_tests",
]

_SKIP_STATUSES = frozenset({ThreatStatus.NOT_APPLICABLE, ThreatStatus.TRANSFERRED})
REPOSITORY = ""  # the group of repository checks, beside the groups of flows
NETWORK = " network"  # the group of network checks (no flow id has a space)
REPOSITORY_ENV = "SECLOOP_TM_REPO"


@dataclass
class WrittenTests:
    files: list[Path] = field(default_factory=list)
    tests: int = 0
    threats: int = 0
    expected_to_fail: int = 0
    total_threats: int = 0
    not_generated: list[str] = field(default_factory=list)
    tests_by_threat: dict[str, list[str]] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        """Threats with a generated test / all threats of the model."""
        return self.threats / self.total_threats if self.total_threats else None


def env_name(flow_key: str) -> str:
    return "SECLOOP_TM_URL_" + (re.sub(r"[^A-Z0-9]+", "_", flow_key.upper()).strip("_") or "FLOW")


def file_name(flow_key: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", flow_key.lower()).strip("_")[:40] or "flow"
    return f"test_tm_{slug}_{digest(flow_key)[:6]}.py"


class _EntryPoints:
    """The HTTP flow through which a test reaches each element."""

    def __init__(self, analysis: Analysis) -> None:
        self.facts = analysis.facts
        self.flows = {f.key: f for f in analysis.loaded.model.flows}
        inbound: dict[str, list[Flow]] = defaultdict(list)
        for flow in analysis.loaded.model.flows:
            if self.http(flow.key):
                inbound[flow.destination].append(flow)
        # Prefer the flow from outside (where an attacker stands), then the first by id.
        self.inbound = {
            ident: sorted(flows, key=lambda f: (not self.facts.crosses(f), f.key))[0]
            for ident, flows in inbound.items()
        }

    def http(self, key: str) -> bool:
        return self.facts.flow_facts[key].own.get("http") is True

    def of(self, t: ThreatRecord) -> Flow | str:
        """The flow to test ``t`` through, or why there is none."""
        if t.target_kind == "flow":
            if self.http(t.target):
                return self.flows[t.target]
            source = self.flows[t.target].source
            if source in self.inbound:
                return self.inbound[source]
            protocol = self.facts.flow_facts[t.target].own.get("protocol") or "no protocol stated"
            return f"flow '{t.target}' is not HTTP ({protocol}) and no HTTP flow reaches '{source}'"
        if t.target in self.inbound:
            return self.inbound[t.target]
        return f"no HTTP flow reaches '{t.target}'"


def plan_tests(analysis: Analysis) -> tuple[dict[str, list[ThreatRecord]], list[str]]:
    """Threats to test, grouped by the flow they are tested through, and why the other testable
    threats get no test."""
    entries = _EntryPoints(analysis)
    by_flow: dict[str, list[ThreatRecord]] = defaultdict(list)
    skipped: list[str] = []
    for t in analysis.threats:
        if t.test_kind not in KINDS:
            continue
        if t.status in _SKIP_STATUSES:
            skipped.append(f"{t.id}: {t.status.value} ({t.reason})")
            continue
        if t.test_kind in REPO_KINDS:
            by_flow[REPOSITORY].append(t)
            continue
        if t.test_kind in NET_KINDS:
            by_flow[NETWORK].append(t)
            continue
        entry = entries.of(t)
        if isinstance(entry, str):
            skipped.append(f"{t.id}: {entry}")
        else:
            by_flow[entry.key].append(t)
    return by_flow, skipped


def _doc_safe(text: str) -> str:
    """Text that can sit inside a generated docstring: no quotes, backslashes or control characters."""
    return "".join(c if c.isprintable() and c not in '\\"' else "_" for c in text)


def expected_to_fail(t: ThreatRecord, analysis: Analysis) -> bool:
    """A test of a threat that is not mitigated checks a control the model does not claim."""
    return t.status is not ThreatStatus.MITIGATED or t.expired(analysis.today)


def address_env(ident: str) -> str:
    return "SECLOOP_TM_ADDR_" + (re.sub(r"[^A-Z0-9]+", "_", ident.upper()).strip("_") or "COMPONENT")


def _store_of(analysis: Analysis, t: ThreatRecord) -> str:
    """The component a network check connects to: the element, or the flow's destination."""
    if t.target_kind != "flow":
        return t.target
    return next(f.destination for f in analysis.loaded.model.flows if f.key == t.target)


def _code_of(analysis: Analysis, t: ThreatRecord) -> str:
    """The code globs of the component a repository check looks at (of a flow: its source, which makes
    the call); empty for the whole repository."""
    ident = t.target
    if t.target_kind == "flow":
        ident = next(f.source for f in analysis.loaded.model.flows if f.key == t.target)
    component = next((c for c in analysis.loaded.model.components if c.id == ident), None)
    return repr(tuple(component.code) if component else ())


def _module(
    analysis: Analysis, group: str, flow: Flow | None, threats: list[ThreatRecord], relative: str
) -> tuple[str, list[str]]:
    model = _doc_safe(analysis.loaded.path)
    if group == REPOSITORY:
        text = REPO_HEADER.format(marker=MARKER, model=model, env=REPOSITORY_ENV, relative=relative)
        text += REPO_HELPERS
    elif group == NETWORK:
        text = NET_HEADER.format(marker=MARKER, model=model)
    else:
        assert flow is not None
        text = HEADER.format(
            marker=MARKER,
            model=model,
            flow=_doc_safe(flow.key),
            env=env_name(flow.key),
            base_url=flow.base_url or "",
            path=flow.path,
            method=flow.method,
        )
        text += "\n" + HELPERS
    names: list[str] = []
    for t in threats:
        kind = t.test_kind or ""
        name = f"test_{t.id.lower().replace('-', '_')}_{suffix(kind)}"
        marks = ""
        if expected_to_fail(t, analysis):
            reason = f"{t.id} is {t.status.value} in the model: mark it mitigated once this passes"
            marks = f"@pytest.mark.xfail(strict=True, reason={reason!r})\n"
        asvs = ", ".join(repr(f"V{x}") for x in t.asvs) or repr("none")
        target_env = repr(address_env(_store_of(analysis, t))) if group == NETWORK else ""
        text += render_test(
            kind,
            threat=t.id,
            asvs=asvs,
            name=name,
            rule=t.rule_id or "",
            marks=marks,
            target_env=target_env,
            code=_code_of(analysis, t) if group == REPOSITORY else "()",
        )
        names.append(name)
    return text, names


def flow_module(analysis: Analysis, flow: Flow, threats: list[ThreatRecord]) -> tuple[str, list[str]]:
    return _module(analysis, flow.key, flow, threats, "")


def write_tests(analysis: Analysis, out: Path, root: Path | None = None) -> WrittenTests:
    """Write the test modules into ``out``; repository checks look at ``root`` (default: the
    current folder), stored relative to ``out`` so the folder can move with the repository."""
    by_flow, skipped = plan_tests(analysis)
    result = WrittenTests(not_generated=skipped, total_threats=len(analysis.threats))
    out.mkdir(parents=True, exist_ok=True)
    conftest = out / "conftest.py"
    if not conftest.exists() or MARKER in conftest.read_text("utf-8", "replace"):
        write_atomic(conftest, CONFTEST)
    flows = {f.key: f for f in analysis.loaded.model.flows}
    for key in sorted(by_flow):
        by_flow[key].sort(key=lambda t: (KINDS.index(t.test_kind or ""), t.id))
        relative = os.path.relpath((root or Path.cwd()).resolve(), out.resolve())
        text, names = _module(analysis, key, flows.get(key), by_flow[key], relative)
        system = analysis.loaded.model.system.name
        special = {REPOSITORY: "repository of " + system, NETWORK: "network of " + system}
        path = out / file_name(special.get(key, key))
        write_atomic(path, text)
        result.files.append(path)
        result.tests += len(names)
        for t, name in zip(by_flow[key], names, strict=True):
            result.tests_by_threat.setdefault(t.id, []).append(f"{path.name}::{name}")
            result.expected_to_fail += expected_to_fail(t, analysis)
    result.threats = len(result.tests_by_threat)
    return result


def share(analysis: Analysis) -> tuple[int, int]:
    """(threats that would get a generated test, all threats), without writing anything."""
    by_flow, _ = plan_tests(analysis)
    return len({t.id for threats in by_flow.values() for t in threats}), len(analysis.threats)


def runnable_share(analysis: Analysis) -> tuple[int, int]:
    """(threats with a generated test that needs no credential, captured request or address beyond the
    flow's URL, all threats): the share that runs without configuration."""
    by_flow, _ = plan_tests(analysis)
    needs = NEEDS_CONFIGURATION | set(NET_KINDS)
    ready = {t.id for threats in by_flow.values() for t in threats if t.test_kind not in needs}
    return len(ready), len(analysis.threats)
