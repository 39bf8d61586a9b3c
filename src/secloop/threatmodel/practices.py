"""Engine-backed evaluators of the plan stage: the threat model, C-I-A requirements, threat-derived tests.

Each keeps what the repository-content evaluator of the same practice detects (threat-model and
requirements documents) and adds what the engine knows from a secloop threat model: the four
questions answered, data assets rated, threats verified by tests that exist.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from secloop.core.enums import Status
from secloop.core.model import Finding, PracticeResult, Skipped
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators import plan
from secloop.practices.evaluators.test import find_test_files
from secloop.sources.repo import Repo
from secloop.threatmodel import StalePolicy, check_file
from secloop.threatmodel.engine import Analysis
from secloop.threatmodel.problems import ModelError
from secloop.threatmodel.questions import QUESTIONS, four_questions, open_findings, stale_findings
from secloop.threatmodel.requirements import asset_level, requirements_at
from secloop.threatmodel.schema import ThreatStatus

_MODEL_NAME = re.compile(r"(^|/)([^/]+\.)?threatmodel\.ya?ml$", re.IGNORECASE)
_NOT_A_MODEL = re.compile(
    r"(^|/)(node_modules|vendor|third_party|\.venv|venv|site-packages|tests?|testdata|fixtures|examples?)/"
)
_MAX_LISTED = 10


def discover(repo: Repo) -> list[str]:
    """threatmodel.yaml, threatmodel.yml, NAME.threatmodel.yaml and .secloop/threatmodel.yaml."""
    return [f for f in repo.files() if _MODEL_NAME.search(f) and not _NOT_A_MODEL.search(f)]


def _today(repo: Repo) -> date:
    # The same moment `assess` reports (HEAD's commit time), so the same commit gives the same result.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    head = repo.head_time()
    return (head or datetime.now(tz=UTC)).date()


@lru_cache(maxsize=16)
def _analyse(root: Path, rel: str, stamp: tuple[int, int], today: date) -> Analysis | ModelError:
    try:
        return check_file(root / rel, today=today, root=root, display=rel, stale=StalePolicy())
    except ModelError as exc:
        return exc


@dataclass(frozen=True)
class Models:
    analyses: tuple[Analysis, ...]
    errors: tuple[ModelError, ...]

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        return tuple(e.skipped() for e in self.errors)

    def reasons(self) -> list[str]:
        return [f"{s.path}:{s.line}: {s.reason}" if s.line else f"{s.path}: {s.reason}" for s in self.skipped]


def models(repo: Repo) -> Models:
    analyses: list[Analysis] = []
    errors: list[ModelError] = []
    today = _today(repo)
    for rel in discover(repo):
        stat = (repo.root / rel).stat()
        found = _analyse(repo.root, rel, (stat.st_mtime_ns, stat.st_size), today)
        if isinstance(found, ModelError):
            errors.append(found)
        else:
            analyses.append(found)
    return Models(tuple(analyses), tuple(errors))


def _with(
    ctx: Context, base: PracticeResult, extra: Sequence[str], skipped: Sequence[Skipped]
) -> PracticeResult:
    return ctx.result(
        base.status,
        base.summary,
        [*base.evidence, *extra],
        base.findings,
        (*base.skipped, *skipped),
        base.score,
    )


def _malformed(ctx: Context, found: Models, base: PracticeResult) -> PracticeResult:
    """Every secloop model is malformed: partial when another (document) model exists, else fail."""
    broken = {e.problems[0].place.path for e in found.errors}
    others = [f for f in plan.threat_models(ctx.repo) if f not in broken]
    status = Status.PARTIAL if base.status is not Status.FAIL and others else Status.FAIL
    return ctx.result(
        status,
        f"the threat model could not be read: {'; '.join(found.reasons()[:3])}",
        [*base.evidence, *found.reasons()],
        skipped=found.skipped,
        score=25 if status is Status.PARTIAL else 0,
    )


# -- plan.threat-model ------------------------------------------------------------------------------


def evaluate_threat_model(ctx: Context) -> PracticeResult:
    found = models(ctx.repo)
    if not found.analyses:
        base = plan.evaluate_threat_model(ctx)
        return _malformed(ctx, found, base) if found.errors else base
    evidence: list[str] = []
    missing: set[str] = set()
    findings: list[Finding] = []
    for a in found.analyses:
        answers = four_questions(a)
        marks = [a.loaded.line_of("system:scope"), a.loaded.line_of("section:threats"), None, None]
        for answer, line in zip(answers, marks, strict=True):
            where = f"{a.loaded.path}:{line}" if line else a.loaded.path
            verb = "answers" if answer.answered else "does not answer"
            evidence.append(f"{where}: {verb} '{answer.question}?': {answer.summary}")
            if not answer.answered:
                missing.add(answer.question)
        findings += open_findings(a)
        findings += stale_findings(a)
    evidence += found.reasons()
    names = ", ".join(a.loaded.path for a in found.analyses)
    if not missing:
        return ctx.result(
            Status.PASS,
            f"the threat model ({names}) answers the four questions",
            evidence,
            findings,
            found.skipped,
        )
    unanswered = [q for q in QUESTIONS if q in missing]
    return ctx.result(
        Status.PARTIAL,
        f"the threat model ({names}) does not answer: " + "; ".join(f"'{q}?'" for q in unanswered),
        evidence,
        findings,
        found.skipped,
        score=25 * (4 - len(unanswered)),
    )


# -- plan.cia-requirements --------------------------------------------------------------------------


def evaluate_cia_requirements(ctx: Context) -> PracticeResult:
    base = plan.evaluate_cia_requirements(ctx)
    found = models(ctx.repo)
    assets = [(a, asset) for a in found.analyses for asset in a.loaded.model.data_assets]
    if not assets:
        extra = [f"{a.loaded.path}: the threat model lists no data assets" for a in found.analyses]
        return _with(ctx, base, extra + found.reasons(), found.skipped)
    rated = [(a, x) for a, x in assets if x.cia is not None]
    unrated = [(a, x) for a, x in assets if x.cia is None]
    evidence = []
    for a, x in rated[:_MAX_LISTED]:
        assert x.cia is not None
        level = asset_level(x).level
        evidence.append(
            f"{a.loaded.path}:{a.loaded.line_of(f'asset:{x.id}')}: {x.id}: "
            f"C={x.cia.confidentiality.rating.value} I={x.cia.integrity.rating.value} "
            f"A={x.cia.availability.rating.value}, each with a justification; OWASP ASVS 5.0 L{level} "
            f"({len(requirements_at(level))} requirements: secloop threatmodel requirements)"
        )
    evidence += [
        f"{a.loaded.path}:{a.loaded.line_of(f'asset:{x.id}')}: {x.id}: no C-I-A ratings"
        for a, x in unrated[:_MAX_LISTED]
    ]
    evidence += [line for line in base.evidence if line not in evidence] + found.reasons()
    if not unrated:
        return ctx.result(
            Status.PASS,
            f"{len(rated)} data asset(s) carry confidentiality, integrity and availability ratings "
            "with justifications",
            evidence,
            skipped=found.skipped,
        )
    if not rated and base.status is Status.PASS:
        return ctx.result(
            Status.PASS,
            base.summary + f"; the threat model's {len(unrated)} data asset(s) are not rated yet",
            evidence,
            skipped=found.skipped,
        )
    return ctx.result(
        Status.PARTIAL,
        f"{len(unrated)} of {len(assets)} data asset(s) have no C-I-A ratings: "
        + ", ".join(x.id for _, x in unrated[:5])
        + (" …" if len(unrated) > 5 else ""),
        evidence,
        skipped=found.skipped,
        score=max(25, round(100 * len(rated) / len(assets))) if rated else 25,
    )


# -- plan.threat-derived-tests ----------------------------------------------------------------------


def evaluate_threat_derived_tests(ctx: Context) -> PracticeResult:
    found = models(ctx.repo)
    if not found.analyses:
        base = plan.evaluate_threat_derived_tests(ctx)
        return _malformed(ctx, found, base) if found.errors else base
    claimed = [(a, t) for a in found.analyses for t in a.threats if t.status is ThreatStatus.MITIGATED]
    ids = sorted({t.id for _, t in claimed})
    mentioned: dict[str, str] = {}
    if ids:
        pattern = re.compile("|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)))
        tests = find_test_files(ctx.repo)
        for hit in ctx.repo.grep(pattern, tests):
            for m in pattern.finditer(hit.text):
                mentioned.setdefault(m.group(0), f"{hit.path}:{hit.line}")
    verified, unverified, missing = [], [], []
    for a, t in claimed:
        linked = [ref for ref in t.tests if a.tests.get(ref)]
        missing += [
            f"{a.loaded.path}:{t.line}: {t.id} links {ref}, which does not exist"
            for ref in t.tests
            if a.tests.get(ref) is False
        ]
        if linked:
            verified.append(f"{a.loaded.path}:{t.line}: {t.id} is verified by {', '.join(linked)}")
        elif t.id in mentioned:
            verified.append(f"{mentioned[t.id]}: a test names {t.id}")
        else:
            unverified.append(f"{a.loaded.path}:{t.line}: {t.id} ({t.title}) has no verifying test")
    evidence = verified[:_MAX_LISTED] + unverified[:_MAX_LISTED] + missing[:_MAX_LISTED] + found.reasons()
    if not claimed:
        return ctx.result(
            Status.FAIL,
            "no threat is mitigated yet, so no test verifies a mitigation",
            evidence
            or [f"{a.loaded.path}: {len(a.threats)} threat(s), none mitigated" for a in found.analyses],
            skipped=found.skipped,
        )
    summary = f"{len(verified)} of {len(claimed)} mitigated threat(s) have a verifying test in the repository"
    if not unverified and not missing:
        return ctx.result(Status.PASS, summary, evidence, skipped=found.skipped)
    if verified:
        if missing:
            summary += f"; {len(missing)} linked test(s) do not exist"
        return ctx.result(
            Status.PARTIAL,
            summary,
            evidence,
            skipped=found.skipped,
            score=max(25, min(75, round(100 * len(verified) / len(claimed)))),
        )
    return ctx.result(Status.FAIL, summary, evidence, skipped=found.skipped)


EVALUATORS: dict[str, Evaluator] = {
    "plan.threat-model": evaluate_threat_model,
    "plan.cia-requirements": evaluate_cia_requirements,
    "plan.threat-derived-tests": evaluate_threat_derived_tests,
}
