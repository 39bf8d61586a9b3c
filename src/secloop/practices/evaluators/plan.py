"""Evaluators of the plan stage: security and privacy requirements, threat modelling, work mix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.test import find_test_files
from secloop.sources.repo import Repo

RULES: tuple[Rule, ...] = ()

_DOC_EXT = r"\.(md|markdown|rst|txt|adoc|asciidoc|ya?ml|json|org)$"
_VENDORED = re.compile(r"(^|/)(node_modules|vendor|third_party|\.venv|venv|site-packages)/")

# -- threat models ---------------------------------------------------------------------------------

_TM_NAME = re.compile(
    r"(^|/)(threat[-_ ]?model[^/]*" + _DOC_EXT + r"|[^/]+\.tm\.ya?ml$|threagile[^/]*\.ya?ml$|[^/]+\.tm7$)"
    r"|(^|/)threat[-_ ]?models?/[^/]+" + _DOC_EXT,
    re.IGNORECASE,
)
_PYTM = re.compile(r"^\s*(from\s+pytm\b|import\s+pytm\b)", re.MULTILINE)
_DRAGON = re.compile(r"\"diagrams\"\s*:")
_DRAGON_SUMMARY = re.compile(r"\"summary\"\s*:")


def threat_models(repo: Repo) -> list[str]:
    """Threat-model files: named documents, Threagile/pytm/TMT models and Threat Dragon JSON."""
    found: list[str] = []
    for rel in repo.files():
        if _VENDORED.search(rel):
            continue
        if _TM_NAME.search(rel):
            found.append(rel)
        elif rel.endswith(".py") and re.search(r"(^|/)[^/]*(tm|threat)[^/]*\.py$", rel, re.IGNORECASE):
            if _PYTM.search(repo.read_text(rel) or ""):
                found.append(rel)
        elif rel.endswith(".json") and re.search(r"threat|(^|/)tm[-_./]", rel, re.IGNORECASE):
            text = repo.read_text(rel) or ""
            if _DRAGON.search(text) and _DRAGON_SUMMARY.search(text):
                found.append(rel)
    return found


# The Threat Modeling Manifesto's four questions, and the words and keys that show each is answered.
_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "what are we working on",
        re.compile(
            r"what are we working on|\bscope\b|system (overview|description)|architecture|data[ _-]?flows?"
            r"|\bassets?\b|technical_assets|data_assets|trust[ _-]?boundar|\bcomponents?\b|\bdiagrams?\b"
            r"|\bServer\(|\bDataflow\(",
            re.IGNORECASE,
        ),
    ),
    (
        "what can go wrong",
        re.compile(
            r"what can go wrong|\bthreats\b|\bthreat\s*:|\bthreat[ _-]?(id|list|catalog)|\bstride\b|spoofing"
            r"|tampering|repudiation|elevation of privilege|\battack(s|er|ers)?\b|abuse cases?|misuse cases?"
            r"|\brisks?\b|individual_risk_categories|\b(?:THREAT|TM)-\d+",
            re.IGNORECASE,
        ),
    ),
    (
        "what are we going to do about it",
        re.compile(
            r"what are we going to do|mitigat|countermeasure|\bcontrols?\b|remediat|risk_tracking"
            r"|\bresponses?\b|\baccept(ed)? (the )?risk|status\s*:\s*(mitigated|accepted|in-progress)",
            re.IGNORECASE,
        ),
    ),
    (
        "did we do a good enough job",
        re.compile(
            r"good enough job|did we do|\breview(ed|s)?\b|retrospective|\bvalidat(e|ed|ion)\b|sign[- ]?off"
            r"|last[ _-]reviewed|next[ _-]review|\bapproved\b",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class _Answer:
    question: str
    path: str
    line: int


def _answers(repo: Repo, files: list[str]) -> tuple[list[_Answer], list[str]]:
    """For each of the four questions, the first line that answers it; and the unreadable files."""
    answers: list[_Answer] = []
    unreadable = [f for f in files if repo.read_text(f) is None]
    readable = [f for f in files if f not in unreadable]
    for question, rx in _QUESTIONS:
        hit = repo.any_match(rx, readable)
        if hit is not None:
            answers.append(_Answer(question, hit.path, hit.line))
    return answers, unreadable


def evaluate_threat_model(ctx: Context) -> PracticeResult:
    files = threat_models(ctx.repo)
    if not files:
        return ctx.result(
            Status.FAIL,
            "no threat model found (threat-model.md, threatmodel.yaml, *.tm.yaml, threagile.yaml, "
            "a pytm model, a .tm7 file or a Threat Dragon JSON)",
        )
    answers, unreadable = _answers(ctx.repo, files)
    evidence = [
        f"threat model: {', '.join(files[:5])}" + (f" (+{len(files) - 5} more)" if len(files) > 5 else "")
    ]
    evidence += [f"{a.path}:{a.line}: answers '{a.question}?'" for a in answers]
    evidence += [f"{f}: not readable as text, so its answers cannot be checked" for f in unreadable]
    missing = [q for q, _ in _QUESTIONS if q not in {a.question for a in answers}]
    if not missing:
        return ctx.result(Status.PASS, "a threat model exists and answers the four questions", evidence)
    return ctx.result(
        Status.PARTIAL,
        "a threat model exists but does not visibly answer: " + "; ".join(f"'{q}?'" for q in missing),
        evidence,
        score=max(25, 25 * (4 - len(missing))),
    )


# -- threat-derived tests --------------------------------------------------------------------------

_THREAT_ID = re.compile(r"\b(?:THREAT|TM)-[A-Z0-9]*\d[A-Z0-9]*\b")
_TM_DEFINED_ID = re.compile(r"\b([A-Z][A-Z0-9]{0,9}-\d{1,5})\b")
_NOT_THREAT_IDS = re.compile(r"^(CWE|CVE|CAPEC|GHSA|RFC|ISO|ASVS|SHA|UTF|TLS|PEP|NIST|OWASP|SP|A\d\d)-")


def evaluate_threat_derived_tests(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    models = threat_models(repo)
    if not models:
        return ctx.result(Status.FAIL, "no threat model, so no tests can be derived from one")
    declared = {
        m.group(1)
        for f in models
        for m in _TM_DEFINED_ID.finditer(repo.read_text(f) or "")
        if not _NOT_THREAT_IDS.match(m.group(1))
    }
    tests = [f for f in find_test_files(repo) if f not in models]
    pattern = re.compile(
        _THREAT_ID.pattern
        + ("|" + "|".join(rf"\b{re.escape(i)}\b" for i in sorted(declared)) if declared else "")
    )
    hits = list(repo.grep(pattern, tests))
    if hits:
        ids = sorted({m.group(0) for h in hits for m in pattern.finditer(h.text)})
        evidence = [f"{h.path}:{h.line}: {h.text.strip()[:100]}" for h in hits[:10]]
        return ctx.result(
            Status.PARTIAL,
            f"{len(hits)} test line(s) reference threat ids ({', '.join(ids[:8])}); whether every threat "
            "has a test needs the threatmodel engine",
            evidence,
        )
    return ctx.unknown(
        "a threat model exists but no test references a threat id (THREAT-n, TM-n or an id from the model); "
        "mapping threats to tests needs the threatmodel engine, which is not available yet",
        [f"threat model: {', '.join(models[:5])}", f"{len(tests)} test file(s) searched"],
    )


# -- requirements ----------------------------------------------------------------------------------

_SEC_REQ = re.compile(
    r"(^|/)(security[-_ ]?requirements?|sec[-_]?reqs?|security[-_ ]?(nfrs?|non[-_]functional))[^/]*"
    + _DOC_EXT
    + r"|(^|/)(docs?/)?security/[^/]*(requirement|nfr|classification)[^/]*"
    + _DOC_EXT
    + r"|(^|/)(data[-_ ]?classification|nfrs?|non[-_]functional[-_ ]requirements?)[^/]*"
    + _DOC_EXT,
    re.IGNORECASE,
)
_CIA: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "confidentiality",
        re.compile(r"\bconfidentiality\b|^\s*confidentiality\s*:", re.IGNORECASE | re.MULTILINE),
    ),
    ("integrity", re.compile(r"\bintegrity\b", re.IGNORECASE)),
    ("availability", re.compile(r"\bavailability\b|\bSLOs?\b|\buptime\b|\bRTO\b|\bRPO\b", re.IGNORECASE)),
)


def _requirement_docs(repo: Repo) -> list[str]:
    return [f for f in repo.files() if _SEC_REQ.search(f) and not _VENDORED.search(f)]


def evaluate_cia_requirements(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    docs = _requirement_docs(repo)
    models = threat_models(repo)
    candidates = docs + [m for m in models if m not in docs]
    if not candidates:
        return ctx.result(
            Status.FAIL,
            "no security requirements document (e.g. SECURITY-REQUIREMENTS.md, "
            "docs/security/requirements.md) and no threat model rating assets for confidentiality, "
            "integrity and availability",
        )
    covered: list[str] = []
    evidence: list[str] = []
    for name, rx in _CIA:
        hit = repo.any_match(rx, candidates)
        if hit is not None:
            covered.append(name)
            evidence.append(f"{hit.path}:{hit.line}: states {name} ({hit.text.strip()[:80]})")
    missing = [name for name, _ in _CIA if name not in covered]
    evidence.insert(0, f"requirements read from: {', '.join(candidates[:5])}")
    if not missing:
        return ctx.result(
            Status.PASS, "confidentiality, integrity and availability requirements are documented", evidence
        )
    if covered or docs:
        return ctx.result(
            Status.PARTIAL,
            f"security requirements exist but do not state {', '.join(missing)}",
            evidence,
            score=25 + 25 * len(covered) if covered else 25,
        )
    return ctx.result(
        Status.FAIL,
        "a threat model exists but neither it nor a requirements document states C-I-A requirements",
        evidence,
    )


_PRIVACY_DOC = re.compile(
    r"(^|/)[^/]*(privacy|dpia|gdpr|ccpa|hipaa|personal[-_ ]data|data[-_ ]protection|data[-_ ]inventory"
    r"|data[-_ ]retention|retention[-_ ]polic|records[-_ ]of[-_ ]processing"
    r"|(?<![a-z])(pia|pii|ropa)(?![a-z]))[^/]*" + _DOC_EXT,
    re.IGNORECASE,
)
_PRIVACY_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a personal-data inventory",
        re.compile(
            r"\bPII\b|personal(ly identifiable)? (data|information)|data subjects?|special categor|\bPHI\b",
            re.IGNORECASE,
        ),
    ),
    (
        "retention and deletion",
        re.compile(
            r"\bretention\b|\bretain(ed)?\b|\berasure\b|right to be forgotten|delet(e|ion) (of|after|within)",
            re.IGNORECASE,
        ),
    ),
    (
        "an impact assessment or lawful basis",
        re.compile(
            r"\bDPIA\b|\bPIA\b|(privacy|data protection) impact assessment|lawful basis|legal basis|consent",
            re.IGNORECASE,
        ),
    ),
)
_PRIVACY_SECTION = re.compile(r"^\s*(#+|=+)?\s*privacy\b|^\s*privacy\s*:", re.IGNORECASE | re.MULTILINE)


def evaluate_privacy_requirements(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    docs = [f for f in repo.files() if _PRIVACY_DOC.search(f) and not _VENDORED.search(f)]
    others = [f for f in _requirement_docs(repo) + threat_models(repo) if f not in docs]
    sections = list(repo.grep(_PRIVACY_SECTION, others))
    sources = docs + sorted({h.path for h in sections})
    if not sources:
        return ctx.result(
            Status.FAIL,
            "no privacy requirements: no privacy/DPIA/PII/retention document and no privacy section in the "
            "security requirements or threat model",
        )
    evidence = [f"privacy document: {d}" for d in docs[:5]]
    evidence += [f"{h.path}:{h.line}: privacy section" for h in sections[:5]]
    covered = []
    for topic, rx in _PRIVACY_TOPICS:
        hit = repo.any_match(rx, sources)
        if hit is not None:
            covered.append(topic)
            evidence.append(f"{hit.path}:{hit.line}: covers {topic}")
    missing = [t for t, _ in _PRIVACY_TOPICS if t not in covered]
    if "a personal-data inventory" in covered and "retention and deletion" in covered:
        summary = "privacy requirements list the personal data and how long it is kept"
        return ctx.result(
            Status.PASS, summary + (f" (not stated: {missing[0]})" if missing else ""), evidence
        )
    return ctx.result(
        Status.PARTIAL,
        f"privacy is addressed but the requirements do not state {' or '.join(missing)}",
        evidence,
        score=25 + 25 * len(covered),
    )


# -- work mix --------------------------------------------------------------------------------------


def evaluate_work_item_mix(ctx: Context) -> PracticeResult:
    return ctx.unknown(
        "needs work-item data from the delivery engine (secloop flow) or an issue tracker",
        ["the share of features, defects, risks and debts comes from work items, not from repository files"],
    )


EVALUATORS: dict[str, Evaluator] = {
    "plan.cia-requirements": evaluate_cia_requirements,
    "plan.privacy-requirements": evaluate_privacy_requirements,
    "plan.work-item-mix": evaluate_work_item_mix,
    "plan.threat-model": evaluate_threat_model,
    "plan.threat-derived-tests": evaluate_threat_derived_tests,
}
