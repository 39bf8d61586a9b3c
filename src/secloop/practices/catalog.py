"""The practice catalog is data (catalog/<stage>.toml), read at start-up and validated here."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from secloop.core.enums import Level, Stage, Status


@dataclass(frozen=True, slots=True)
class Practice:
    id: str
    stage: Stage
    title: str
    why: str
    reference: str
    evidence: str
    meaning: tuple[tuple[Status, str], ...]
    effort: Level
    impact: Level
    rules: tuple[str, ...]
    engine: str | None

    def means(self, status: Status) -> str:
        return dict(self.meaning).get(status, "")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "cicd-sec-2" before "cicd-sec-10"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


_STATUS_KEYS = {
    "pass": Status.PASS,
    "partial": Status.PARTIAL,
    "fail": Status.FAIL,
    "unknown": Status.UNKNOWN,
    "not-applicable": Status.NOT_APPLICABLE,
}
_REQUIRED = {"id", "stage", "title", "why", "reference", "evidence", "effort", "impact", "meaning"}
_ALLOWED = _REQUIRED | {"rules", "engine"}


def parse_catalog(*texts: str) -> tuple[Practice, ...]:
    raws = [raw for text in texts for raw in tomllib.loads(text).get("practice", [])]
    practices: list[Practice] = []
    seen: set[str] = set()
    for raw in raws:
        missing = _REQUIRED - raw.keys()
        unknown = raw.keys() - _ALLOWED
        ident = raw.get("id", "?")
        if missing or unknown:
            raise ValueError(f"practice {ident}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        if ident in seen:
            raise ValueError(f"practice {ident} declared twice")
        seen.add(ident)
        stage = Stage(raw["stage"])
        if not ident.startswith(f"{stage.value}."):
            raise ValueError(f"practice {ident} must start with its stage '{stage.value}.'")
        meaning = tuple((_STATUS_KEYS[k], str(v)) for k, v in sorted(raw["meaning"].items()))
        practices.append(
            Practice(
                id=ident,
                stage=stage,
                title=raw["title"],
                why=raw["why"],
                reference=raw["reference"],
                evidence=raw["evidence"],
                meaning=meaning,
                effort=Level(raw["effort"]),
                impact=Level(raw["impact"]),
                rules=tuple(raw.get("rules", ())),
                engine=raw.get("engine"),
            )
        )
    practices.sort(key=lambda p: (p.stage.order, natural_key(p.id)))
    return tuple(practices)


@cache
def load_catalog() -> tuple[Practice, ...]:
    folder = resources.files("secloop.practices").joinpath("catalog")
    texts = [
        entry.read_text("utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]
    return parse_catalog(*texts)


def practice(practice_id: str) -> Practice:
    for p in load_catalog():
        if p.id == practice_id:
            return p
    raise KeyError(practice_id)
