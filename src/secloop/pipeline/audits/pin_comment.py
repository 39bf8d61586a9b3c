"""GHA-PIN-COMMENT-MISMATCH: one action and version comment pinned to different commit SHAs.

`uses: owner/action@<sha> # v4.2.1` is how pins are written so that people and update tools know the
version; nothing checks that the comment tells the truth. Offline, a lie shows when the same action
and comment point at two SHAs across the repository's workflows: at most one of them is the tag.
This audit looks across files, so the engine runs it once over all workflow texts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule

RULE = Rule(
    id="GHA-PIN-COMMENT-MISMATCH",
    title="Same action and version comment pinned to different SHAs",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "A SHA pin's version comment is what reviewers and Dependabot read. When the same action and "
        "comment name two commits, at least one comment is wrong: an update was half applied, or a "
        "pin was swapped for another commit (possibly from a fork network) under a familiar version."
    ),
    fix=(
        "Resolve the tag (`gh api repos/OWNER/ACTION/commits/TAG -H 'Accept: application/vnd.github.sha'`) "
        "and use that SHA everywhere, or correct the comments."
    ),
    cwe=(345,),
    cicd_sec=(3,),
)
PIN = re.compile(
    r"uses\s*:\s*['\"]?(?P<uses>[^\s'\"#@]+)@(?P<sha>[0-9a-fA-F]{40})['\"]?[ \t]*#[ \t]*(?P<ref>[^\s#]+)"
)


def pin_mismatches(files: Iterable[tuple[str, str]]) -> list[Finding]:
    uses: dict[tuple[str, str], list[tuple[str, str, int, int]]] = defaultdict(list)
    for path, text in files:
        for number, content in enumerate(text.splitlines(), 1):
            if "@" not in content or "#" not in content:
                continue
            for match in PIN.finditer(content):
                key = (match["uses"].lower(), match["ref"])
                uses[key].append((match["sha"].lower(), path, number, match.start("uses") + 1))
    findings: list[Finding] = []
    for (action, ref), places in uses.items():
        shas = sorted({sha for sha, *_ in places})
        if len(shas) < 2:
            continue
        for sha, path, line, column in places:
            others = ", ".join(s[:12] for s in shas if s != sha)
            findings.append(
                Finding(
                    rule_id=RULE.id,
                    severity=RULE.severity,
                    confidence=RULE.confidence,
                    message=(
                        f"{action}@{sha[:12]} is commented {ref!r}, and so is {others} elsewhere: "
                        "at most one of them is that tag"
                    ),
                    locations=(Location(path, line, column),),
                    fingerprint=keyed_fingerprint(RULE.id, path, action, ref, sha),
                    fix=RULE.fix,
                    properties=(("workflow", path), ("action", action), ("ref", ref)),
                )
            )
    return findings
