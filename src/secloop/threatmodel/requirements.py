"""Security requirements from C-I-A: an OWASP ASVS 5.0 level per data asset and its requirement list.

The level of an asset is stated (`asvs_level`) or derived from its ratings: any rating critical ->
L3, any rating high -> L2, otherwise L1 (an unrated asset is L1 until someone rates it). A level
includes every requirement of the levels below it (70 / 253 / 345 requirements in ASVS 5.0.0). Each
requirement becomes a work item naming the assets that need it and the threats that cite it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from secloop.threatmodel.engine import Analysis
from secloop.threatmodel.schema import DataAsset, Rating, ThreatModel

FORMATS = ("csv", "json", "github-issues")
SOURCE = "OWASP ASVS 5.0.0 (CC BY-SA 4.0)"
_LEVEL_OF_RATING = {Rating.CRITICAL: 3, Rating.HIGH: 2, Rating.MEDIUM: 1, Rating.LOW: 1}


@dataclass(frozen=True, slots=True)
class AsvsRequirement:
    id: str
    level: int
    chapter_id: str
    chapter: str
    section_id: str
    section: str
    text: str


@cache
def load_asvs() -> tuple[AsvsRequirement, ...]:
    text = (resources.files("secloop.threatmodel") / "asvs" / "asvs-5.0.0.json").read_text("utf-8")
    return tuple(AsvsRequirement(*row) for row in json.loads(text)["requirements"])


def requirements_at(level: int) -> tuple[AsvsRequirement, ...]:
    return tuple(r for r in load_asvs() if r.level <= level)


@dataclass(frozen=True, slots=True)
class AssetLevel:
    asset: str
    level: int
    reason: str


def asset_level(asset: DataAsset) -> AssetLevel:
    if asset.asvs_level is not None:
        return AssetLevel(asset.id, asset.asvs_level, "stated in the model (asvs_level)")
    if asset.cia is None:
        return AssetLevel(asset.id, 1, "no C-I-A rating yet: L1 until the asset is rated")
    ratings = {
        "C": asset.cia.confidentiality.rating,
        "I": asset.cia.integrity.rating,
        "A": asset.cia.availability.rating,
    }
    level = max(_LEVEL_OF_RATING[r] for r in ratings.values())
    top = [f"{axis}={r.value}" for axis, r in ratings.items() if _LEVEL_OF_RATING[r] == level]
    return AssetLevel(asset.id, level, "from " + ", ".join(top))


def asset_levels(model: ThreatModel) -> tuple[AssetLevel, ...]:
    return tuple(asset_level(a) for a in model.data_assets)


def model_level(model: ThreatModel) -> int:
    return max((x.level for x in asset_levels(model)), default=1)


@dataclass(frozen=True, slots=True)
class WorkItem:
    requirement: AsvsRequirement
    assets: tuple[str, ...]
    threats: tuple[tuple[str, str, str], ...]  # (threat id, title, status)


def work_items(analysis: Analysis, level: int) -> tuple[WorkItem, ...]:
    levels = asset_levels(analysis.loaded.model)
    citing: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for t in analysis.threats:
        for ident in t.asvs:
            citing[f"V{ident}"].append((t.id, t.title, t.status.value))
    return tuple(
        WorkItem(
            r,
            tuple(x.asset for x in levels if x.level >= r.level),
            tuple(sorted(set(citing.get(r.id, ())))),
        )
        for r in requirements_at(level)
    )


def _title(r: AsvsRequirement) -> str:
    text = r.text.removeprefix("Verify that ").rstrip(".")
    text = text[:1].upper() + text[1:]
    short = text if len(text) <= 90 else text[:89].rsplit(" ", 1)[0].rstrip(",;") + "…"
    return f"ASVS {r.id} (L{r.level}): {short}"


def _body(item: WorkItem, model: str) -> str:
    r = item.requirement
    lines = [
        r.text,
        "",
        f"- ASVS 5.0: {r.id}, level {r.level}; {r.chapter_id} {r.chapter} / {r.section_id} {r.section}",
        f"- Data assets that need it: {', '.join(item.assets) or 'none at this level'}",
    ]
    if item.threats:
        lines.append(
            "- Threats that cite it: " + "; ".join(f"{i} {title} ({s})" for i, title, s in item.threats)
        )
    lines += ["", f"From the threat model {model} by `secloop threatmodel requirements`. Source: {SOURCE}."]
    return "\n".join(lines)


def _labels(r: AsvsRequirement) -> list[str]:
    return ["security", "asvs", f"asvs-L{r.level}", f"asvs-{r.chapter_id}"]


def render_requirements(analysis: Analysis, level: int, fmt: str) -> str:
    items = work_items(analysis, level)
    model = analysis.loaded.path
    if fmt == "github-issues":
        issues = [
            {"title": _title(i.requirement), "body": _body(i, model), "labels": _labels(i.requirement)}
            for i in items
        ]
        return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
    if fmt == "json":
        doc: dict[str, Any] = {
            "schema": "secloop.threatmodel.requirements/v1",
            "model": model,
            "source": SOURCE,
            "level": level,
            "assets": [
                {"id": x.asset, "level": x.level, "reason": x.reason}
                for x in asset_levels(analysis.loaded.model)
            ],
            "count": len(items),
            "requirements": [
                {
                    "id": i.requirement.id,
                    "level": i.requirement.level,
                    "chapter": f"{i.requirement.chapter_id} {i.requirement.chapter}",
                    "section": f"{i.requirement.section_id} {i.requirement.section}",
                    "text": i.requirement.text,
                    "assets": list(i.assets),
                    "threats": [t[0] for t in i.threats],
                }
                for i in items
            ],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "level", "chapter", "section", "requirement", "assets", "threats", "title"])
    for i in items:
        r = i.requirement
        writer.writerow(
            [
                r.id,
                r.level,
                f"{r.chapter_id} {r.chapter}",
                f"{r.section_id} {r.section}",
                r.text,
                " ".join(i.assets),
                " ".join(t[0] for t in i.threats),
                _title(r),
            ]
        )
    return buffer.getvalue()
