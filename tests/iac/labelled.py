"""Per-policy recall and false positives on the labelled fixture set (tests/fixtures/iac/labelled).

A label `expect: RULE-ID[, …]` names the line a finding must point at (see the folder's README).
Used by tests/iac/test_labelled.py and printable as a table: `python -m tests.iac.labelled`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from secloop.iac.model import IacScan
from secloop.iac.policies import POLICIES
from secloop.iac.scan import scan_iac
from secloop.sources.repo import Repo

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "iac" / "labelled"
_LABEL = re.compile(r"(?:#|//)\s*expect:\s*([A-Z0-9][A-Z0-9, -]*[A-Z0-9])")
_COMMENT_ONLY = re.compile(r"^\s*(?:#|//)")

Label = tuple[str, str, int]  # rule id, path, line


def labels(root: Path = LABELLED) -> set[Label]:
    found: set[Label] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "README.md"):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".labels":  # JSON has no comments: `LINE: RULE-ID[, …]` lines beside it
            for entry in path.read_text("utf-8").splitlines():
                at, _, names = entry.partition(":")
                target = rel.removesuffix(".labels")
                found.update((name.strip(), target, int(at)) for name in names.split(","))
            continue
        pending: list[str] = []
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            match = _LABEL.search(line)
            ids = [i.strip() for i in match.group(1).split(",")] if match else []
            if _COMMENT_ONLY.match(line) or not line.strip():
                pending += ids
                continue
            found.update((rule, rel, number) for rule in pending + ids)
            pending = []
    return found


@dataclass(frozen=True)
class Row:
    rule_id: str
    labelled: int  # failing lines labelled
    found: int  # of which a finding points at
    false_positives: int
    failing_resources: int
    passing_resources: int
    missed: tuple[Label, ...]
    extra: tuple[Label, ...]

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 0.0


def scan(root: Path = LABELLED) -> IacScan:
    return scan_iac(Repo(root), include_fixtures=True, workers=1)


def table(root: Path = LABELLED) -> list[Row]:
    result = scan(root)
    expected = labels(root)
    owner: dict[Label, set[tuple[str, str]]] = {}
    for f in result.findings:
        if f.primary is not None:
            key = (f.rule_id, f.primary.path, f.primary.start_line or 0)
            owner.setdefault(key, set()).add((f.primary.path, dict(f.properties)["resource"]))
    got = set(owner)
    types: dict[str, set[tuple[str, str]]] = {}
    for p in POLICIES:
        types.setdefault(p.rule.id, set()).update((p.framework.value, t) for t in p.types)
    rows = []
    for rule_id in sorted(types):
        mine = {e for e in expected if e[0] == rule_id}
        hits = {g for g in got if g[0] == rule_id}
        resources = [r for r in result.resources if (r.framework.value, r.type) in types[rule_id]]
        failing: set[tuple[str, str]] = set()
        for label in mine:
            if label in owner:
                failing |= owner[label]
                continue
            # a missed failure: the resource of the policy's types that encloses the label
            owners = [r for r in resources if r.path == label[1] and r.line <= label[2]]
            if owners:
                top = max(r.line for r in owners)
                failing |= {(r.path, r.address) for r in owners if r.line == top}
        rows.append(
            Row(
                rule_id=rule_id,
                labelled=len(mine),
                found=len(mine & hits),
                false_positives=len(hits - mine),
                failing_resources=len(failing),
                passing_resources=len({(r.path, r.address) for r in resources} - failing),
                missed=tuple(sorted(mine - hits)),
                extra=tuple(sorted(hits - mine)),
            )
        )
    return rows


def markdown(rows: list[Row]) -> str:
    out = [
        "| policy | labelled failures | found | recall | false positives "
        "| failing resources | passing resources |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| `{r.rule_id}` | {r.labelled} | {r.found} | {r.recall:.0%} | {r.false_positives} "
            f"| {r.failing_resources} | {r.passing_resources} |"
        )
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - a report for docs/benchmarks.md
    print(markdown(table()))
