"""Policy, in one place: suppressions (inline, config, file), baseline, gate and next steps.

Engines and evaluators report everything they see; this module decides what counts. Renderers then
render the result as it is.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from secloop.core.baseline import Baseline
from secloop.core.config import Config, SuppressionEntry
from secloop.core.enums import BaselineState, Severity, Status
from secloop.core.model import Finding, GateOutcome, NextStep, PracticeResult, Skipped, Suppression

INLINE = re.compile(r"secloop:\s*ignore\[(?P<rules>[A-Za-z0-9_\-\*, ]+)\](?P<reason>[^\n]*)")
_REASON_TRIM = re.compile(r"^[\s:\-—]+|[\s\-]*(?:-->|\*/|#}|%>)?\s*$")

LineReader = Callable[[str, int], str | None]


@dataclass(frozen=True)
class PolicyOutcome:
    results: tuple[PracticeResult, ...]
    notes: tuple[Skipped, ...]
    gate: GateOutcome
    next_steps: tuple[NextStep, ...]


def _inline_suppression(finding: Finding, read_line: LineReader, notes: list[Skipped]) -> Suppression | None:
    loc = finding.primary
    if loc is None or loc.start_line is None:
        return None
    for number in (loc.start_line, loc.start_line - 1):
        if number < 1:
            continue
        text = read_line(loc.path, number)
        if text is None:
            continue
        match = INLINE.search(text)
        if not match:
            continue
        rules = {r.strip() for r in match.group("rules").split(",")}
        if finding.rule_id not in rules and "*" not in rules:
            continue
        reason = _REASON_TRIM.sub("", match.group("reason"))
        if len(reason) < 3:
            notes.append(
                Skipped(
                    loc.path,
                    f"inline suppression of {finding.rule_id} ignored: a reason is mandatory "
                    f"(write `secloop: ignore[{finding.rule_id}] why it is safe`)",
                    line=number,
                )
            )
            return None
        return Suppression("inline", reason, None, f"{loc.path}:{number}")
    return None


def _entry_matches(entry: SuppressionEntry, finding: Finding) -> bool:
    if entry.rule not in ("*", finding.rule_id):
        return False
    if entry.fingerprint is not None and entry.fingerprint != finding.fingerprint:
        return False
    if entry.path is not None:
        loc = finding.primary
        if loc is None or not fnmatch.fnmatch(loc.path, entry.path):
            return False
    return True


def _file_suppression(
    finding: Finding, entries: Sequence[tuple[SuppressionEntry, str]], today: date, notes: list[Skipped]
) -> Suppression | None:
    for entry, source in entries:
        if not _entry_matches(entry, finding):
            continue
        if entry.expires is not None and entry.expires < today:
            notes.append(
                Skipped(
                    source,
                    f"suppression of {entry.rule} expired on {entry.expires.isoformat()}; "
                    "the finding counts again",
                )
            )
            continue
        return Suppression("config", entry.reason, entry.expires, source)
    return None


def apply_policy(
    results: Sequence[PracticeResult],
    config: Config,
    *,
    read_line: LineReader,
    suppressions: Sequence[tuple[SuppressionEntry, str]],
    baseline: Baseline | None,
    today: date,
    rank: Callable[[PracticeResult], NextStep | None],
) -> PolicyOutcome:
    notes: list[Skipped] = []
    known = baseline.fingerprints if baseline else frozenset()
    final: list[PracticeResult] = []
    owner: dict[tuple[str, str], str] = {}
    for result in results:
        findings = []
        elsewhere: dict[str, int] = {}
        for finding in result.findings:
            key = (finding.rule_id, finding.fingerprint)
            if key in owner and owner[key] != result.practice_id:
                # One finding, one place: it is shown (and counted) under the first practice reporting it.
                elsewhere[owner[key]] = elsewhere.get(owner[key], 0) + 1
                continue
            owner[key] = result.practice_id
            suppression = None if config.audit else _inline_suppression(finding, read_line, notes)
            if suppression is None:
                suppression = _file_suppression(finding, suppressions, today, notes)
            if suppression is None and not config.audit:
                # An engine's own ignore list (e.g. the dependency engine's advisory ignores, each with a
                # reason and an expiry) arrives as a suppression already set on the finding.
                suppression = finding.suppression
            state = BaselineState.UNCHANGED if finding.fingerprint in known else BaselineState.NEW
            findings.append(finding.with_policy(suppression, state))
        evidence = result.evidence + tuple(
            f"{count} finding(s) listed under {practice_id}"
            for practice_id, count in sorted(elsewhere.items())
        )
        final.append(replace(result, findings=tuple(findings), evidence=evidence))
    gate = decide_gate(final, config)
    steps = next_steps(final, rank)
    unique_notes = tuple(dict.fromkeys(notes))
    return PolicyOutcome(tuple(final), unique_notes, gate, steps)


def decide_gate(results: Sequence[PracticeResult], config: Config) -> GateOutcome:
    reasons: list[str] = []
    threshold = config.fail_on_severity
    if threshold is not None:
        counted = [f for r in results for f in r.findings if f.active and f.severity.at_least(threshold)]
        if counted:
            worst = max(counted, key=lambda f: f.severity.rank).severity
            reasons.append(
                f"{len(counted)} active finding(s) at or above {threshold.value} (worst: {worst.value})"
            )
    if config.fail_on_unknown:
        required = set(config.required_practices)
        unknown = [
            r.practice_id
            for r in results
            if r.status is Status.UNKNOWN and (not required or r.practice_id in required)
        ]
        if unknown:
            reasons.append(f"{len(unknown)} required practice(s) unknown: {', '.join(sorted(unknown))}")
    return GateOutcome(not reasons, threshold, config.fail_on_unknown, tuple(reasons))


def next_steps(
    results: Sequence[PracticeResult], rank: Callable[[PracticeResult], NextStep | None], limit: int = 3
) -> tuple[NextStep, ...]:
    """The few steps worth taking first: highest impact, lowest effort, failures before gaps."""
    candidates = [s for s in (rank(r) for r in results if r.status in (Status.FAIL, Status.PARTIAL)) if s]
    status_order = {Status.FAIL: 0, Status.PARTIAL: 1}
    weight = {"low": 1, "medium": 2, "high": 3}

    def key(step: NextStep) -> tuple[int, int, int, int, str]:
        return (
            -weight[step.impact],
            weight[step.effort],
            status_order.get(step.status, 2),
            step.stage.order,
            step.practice_id,
        )

    return tuple(sorted(candidates, key=key)[:limit])


def severity_counts(findings: Sequence[Finding]) -> dict[Severity, int]:
    counts = dict.fromkeys(Severity, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts
