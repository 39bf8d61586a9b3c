"""Dependabot configuration audits: `.github/dependabot.yml` is part of the supply chain it updates.

Three rules, all CICD-SEC-3 (dependency chain abuse): registries allowed to run code during updates,
updates adopted the moment they are published (no `cooldown:`; security updates skip it anyway), and
workflows whose pinned actions nothing keeps current.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from yaml import Node

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.core.rules import Rule
from secloop.sources.ci import nodes as n
from secloop.sources.repo import Repo

PATHS = (".github/dependabot.yml", ".github/dependabot.yaml")
# Our dependency policy: wait two to three weeks before adopting a release that fixes nothing urgent.
MIN_COOLDOWN_DAYS = 14

INSECURE_EXEC = Rule(
    id="DEPENDABOT-INSECURE-EXEC",
    title="Dependabot may run the registry's code while it updates",
    stage=Stage.PIPELINE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "`insecure-external-code-execution: allow` lets Dependabot execute code from the manifests and "
        "packages it resolves (setup.py, gemspecs, mix.exs) with the registry credentials it was given. "
        "A malicious or hijacked dependency then runs with access to the private registries."
    ),
    fix="Remove `insecure-external-code-execution: allow`, or keep private registries out of that entry.",
    cwe=(94,),
    cicd_sec=(3,),
)
NO_COOLDOWN = Rule(
    id="DEPENDABOT-NO-COOLDOWN",
    title="Dependabot proposes releases the day they are published",
    stage=Stage.PIPELINE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "Malicious releases of popular packages are usually found and pulled within days. Without a "
        "`cooldown:` (or with one shorter than two weeks) Dependabot opens pull requests for them at "
        "once; security updates ignore the cooldown, so waiting costs no urgent fix."
    ),
    fix=f"Add `cooldown: {{default-days: {MIN_COOLDOWN_DAYS}}}` (or longer) to every `updates:` entry.",
    cwe=(1357,),
    cicd_sec=(3,),
)
ACTIONS_UNWATCHED = Rule(
    id="DEPENDABOT-ACTIONS-UNWATCHED",
    title="Workflows exist but Dependabot does not update their actions",
    stage=Stage.PIPELINE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "Actions pinned by commit SHA never move by themselves: without a `github-actions` entry the "
        "pins age and keep every vulnerability fixed upstream since."
    ),
    fix="Add an `updates:` entry with `package-ecosystem: github-actions` and `directory: /`.",
    cwe=(1104,),
    cicd_sec=(3,),
)
RULES: tuple[Rule, ...] = (INSECURE_EXEC, NO_COOLDOWN, ACTIONS_UNWATCHED)


@dataclass(frozen=True, slots=True)
class DependabotScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]

    def of(self, *rule_ids: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule_id in rule_ids)


def _finding(rule: Rule, path: str, line: int, column: int, message: str, *key: str) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=message,
        locations=(Location(path, line, column),),
        fingerprint=keyed_fingerprint(rule.id, path, *key),
        fix=rule.fix,
    )


def _column(node: Node) -> int:
    return int(node.start_mark.column) + 1


def _cooldown_days(block: Node | None) -> float | None:
    if block is None:
        return None
    keys = ("default-days", "semver-major-days", "semver-minor-days", "semver-patch-days")
    days: list[float] = []
    for key in keys:
        value = n.scalar(n.get(block, key))
        try:
            days.append(float(value or ""))
        except ValueError:
            continue
    return min(days) if days else 0.0


def _entries(path: str, root: Node) -> Iterator[Finding]:
    for item in n.seq(n.get(root, "updates")):
        eco_node = n.get(item, "package-ecosystem")
        eco = n.scalar(eco_node) or "?"
        directory = (
            n.scalar(n.get(item, "directory")) or ", ".join(n.strings(n.get(item, "directories"))) or "/"
        )
        where = f"{eco} in {directory}"
        anchor = eco_node if eco_node is not None else item
        for name, key_node, value in n.pairs(item):
            if name == "insecure-external-code-execution" and (n.scalar(value) or "").lower() == "allow":
                yield _finding(
                    INSECURE_EXEC,
                    path,
                    n.line(key_node),
                    _column(key_node),
                    f"the {where} entry allows Dependabot to execute code from the packages it resolves",
                    eco,
                    directory,
                )
        block = n.get(item, "cooldown")
        block_key = next((k for name, k, _ in n.pairs(item) if name == "cooldown"), None)
        days = _cooldown_days(block)
        if days is None:
            yield _finding(
                NO_COOLDOWN,
                path,
                n.line(anchor),
                _column(anchor),
                f"the {where} entry has no `cooldown:`: releases are proposed the day they appear",
                eco,
                directory,
            )
        elif days < MIN_COOLDOWN_DAYS:
            assert block_key is not None
            yield _finding(
                NO_COOLDOWN,
                path,
                n.line(block_key),
                _column(block_key),
                f"the {where} entry waits {days:g} day(s), less than the {MIN_COOLDOWN_DAYS} the policy asks",
                eco,
                directory,
            )


def scan_dependabot_text(path: str, text: str | None, workflows: bool) -> DependabotScan:
    """Audit one dependabot.yml; `workflows` says whether the repository has GitHub workflows."""
    if text is None:
        return DependabotScan(
            (), (Skipped(path, "not readable as text (binary or larger than the size limit)"),)
        )
    skipped: list[Skipped] = []
    root = n.compose_mapping(path, text, skipped)
    if root is None:
        return DependabotScan((), tuple(skipped))
    findings = list(_entries(path, root))
    ecosystems = {n.scalar(n.get(item, "package-ecosystem")) for item in n.seq(n.get(root, "updates"))}
    if workflows and "github-actions" not in ecosystems:
        updates = next((k for name, k, _ in n.pairs(root) if name == "updates"), None)
        line, column = (n.line(updates), _column(updates)) if updates is not None else (1, 1)
        findings.append(
            _finding(
                ACTIONS_UNWATCHED,
                path,
                line,
                column,
                "the repository has workflows but no `github-actions` update entry",
            )
        )
    return DependabotScan(tuple(sorted(findings, key=Finding.sort_key)), tuple(skipped))


_SCANS: weakref.WeakKeyDictionary[Repo, DependabotScan] = weakref.WeakKeyDictionary()


def scan_dependabot(repo: Repo) -> DependabotScan | None:
    files = repo.files()
    path = next((p for p in PATHS if p in files), None)
    if path is None:
        return None
    scan = _SCANS.get(repo)
    if scan is None:
        workflows = any(f.startswith(".github/workflows/") for f in files)
        scan = scan_dependabot_text(path, repo.read_text(path), workflows)
        _SCANS[repo] = scan
    return scan
