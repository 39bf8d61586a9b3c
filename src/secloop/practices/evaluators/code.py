"""Evaluators of the code stage: review, branch protection, secrets, input validation, logging."""

from __future__ import annotations

import re

from secloop.core.enums import Status
from secloop.core.model import PracticeResult, Skipped
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.build import dependency_manifests
from secloop.sources.ci import load_ci, load_precommit, nodes
from secloop.sources.history import first_parent_log, landing_stats
from secloop.sources.manifests import app_code
from secloop.sources.repo import Repo

RULES: tuple[Rule, ...] = ()

API_REASON = "needs a GitHub/GitLab token; secloop posture"
_CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
_HISTORY_LIMIT = 200
_MIN_HISTORY = 20


def codeowners(repo: Repo) -> str | None:
    """The CODEOWNERS file in force (the first one a host reads), if it has at least one owner rule."""
    for rel in _CODEOWNERS:
        text = repo.read_text(rel) if repo.exists(rel) else None
        if text and any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
            return rel
    return None


# -- branch protection -----------------------------------------------------------------------------

_TF_PROTECTION = re.compile(r"resource\s+\"(github_branch_protection(_v3)?|gitlab_branch_protection)\"")


def evaluate_branch_protection(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    hints: list[str] = []
    declared: list[str] = []
    settings = ".github/settings.yml"
    text = repo.read_text(settings) if repo.exists(settings) else None
    skipped: list[Skipped] = []
    if text is not None:
        root = nodes.compose(settings, text, skipped)
        for branch in nodes.seq(nodes.get(root, "branches")):
            protection = nodes.get(branch, "protection")
            keys = [k for k, _, _ in nodes.pairs(protection)]
            if protection is not None and keys:
                name = nodes.scalar(nodes.get(branch, "name")) or "?"
                where = f"{settings}:{nodes.line(protection)}"
                declared.append(f"{where}: protects '{name}' ({', '.join(keys[:4])})")
    tf = [f"{h.path}:{h.line}: {h.text.strip()[:80]}" for h in repo.grep(_TF_PROTECTION, repo.glob("*.tf"))]
    declared += tf
    owners = codeowners(repo)
    if owners:
        hints.append(
            f"{owners}: code owners are declared (reviews by them need branch protection to be required)"
        )
    if declared:
        return ctx.result(
            Status.PARTIAL,
            "branch protection is declared in the repository; confirming that the host enforces it "
            f"{API_REASON}",
            declared + hints,
            skipped=skipped,
        )
    return ctx.result(
        Status.UNKNOWN,
        f"branch protection lives in the host's settings: {API_REASON}",
        hints,
        skipped=skipped,
    )


# -- review ----------------------------------------------------------------------------------------


def evaluate_review(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    evidence: list[str] = []
    owners = codeowners(repo)
    if owners:
        evidence.append(f"{owners}: code owners are requested as reviewers")
    commits = first_parent_log(repo, _HISTORY_LIMIT)
    ratio = 0.0
    enough_history = False
    if commits:
        stats = landing_stats(commits)
        ratio = stats.ratio
        enough_history = stats.total >= _MIN_HISTORY
        evidence.append(
            f"git history: {stats.via_pull_request}/{stats.total} of the last changes on HEAD's first-parent "
            f"line came through a pull/merge request ({ratio:.0%})"
        )
    elif commits is None:
        evidence.append("git history: not a git repository, or no commits")
    not_without_api = f"pass needs the host API to confirm that approvals are required ({API_REASON})"
    if owners or ratio >= 0.5:
        why = "CODEOWNERS requests reviews" if owners else "most changes land through pull requests"
        return ctx.result(Status.PARTIAL, f"{why}; {not_without_api}", evidence)
    if enough_history:
        return ctx.result(
            Status.FAIL,
            "most recent changes landed on HEAD without a pull request and there is no CODEOWNERS file "
            "(rebase merges leave no marker; the host API can tell for sure)",
            evidence,
        )
    return ctx.unknown(f"too little history and no CODEOWNERS to judge; {API_REASON}", evidence)


# -- secrets ---------------------------------------------------------------------------------------

_SECRET_TOOLS = re.compile(
    r"gitleaks|trufflehog|detect-secrets|ggshield|gitguardian|git-secrets|secretlint|talisman|whispers"
    r"|noseyparker|kingfisher|secloop\s+scan\s+secrets|Secret-Detection\.gitlab-ci",
    re.IGNORECASE,
)
_SECRET_CONFIGS = re.compile(
    r"(^|/)(\.gitleaks\.toml|gitleaks\.toml|\.gitleaksignore|\.secrets\.baseline|\.trufflehog[^/]*"
    r"|trufflehog[^/]*\.ya?ml|\.gitguardian\.ya?ml|\.secretlintrc[^/]*|\.talismanrc)$"
)


def _secret_scanning(repo: Repo) -> list[str]:
    evidence = [f"{f}: secret-scanning configuration" for f in repo.files() if _SECRET_CONFIGS.search(f)]
    evidence += [f"{s.where}: CI runs {s.text[:80]}" for s in load_ci(repo).search(_SECRET_TOOLS)]
    evidence += [f"{h.where}: pre-commit hook {h.id}" for h in load_precommit(repo).search(_SECRET_TOOLS)]
    return evidence


def evaluate_secrets(ctx: Context) -> PracticeResult:
    return ctx.unknown("the secrets engine is not available yet", _secret_scanning(ctx.repo))


_PUSH_TOOLS = re.compile(r"gitleaks|detect-secrets|trufflehog|ggshield|secloop", re.IGNORECASE)
_HOOK_FILES = re.compile(
    r"^(\.husky/(pre-commit|pre-push)|lefthook\.ya?ml|\.lefthook\.ya?ml|\.githooks/[^/]+)$"
)


def evaluate_push_protection(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    precommit = load_precommit(repo)
    hooks = precommit.search(_PUSH_TOOLS)
    evidence = [f"{h.where}: pre-commit hook '{h.id}' ({h.repo or 'local'})" for h in hooks]
    other = [f for f in repo.files() if _HOOK_FILES.match(f)]
    evidence += [f"{h.path}:{h.line}: {h.text.strip()[:80]}" for h in repo.grep(_PUSH_TOOLS, other)]
    server = f"server-side push protection needs the host API ({API_REASON})"
    if evidence:
        return ctx.result(
            Status.PARTIAL,
            f"a secret-scanning hook runs before code is committed or pushed; {server}",
            evidence,
            skipped=precommit.skipped,
        )
    where = (
        f"{precommit.path} has no secret-scanning hook" if precommit.path else "no .pre-commit-config.yaml"
    )
    return ctx.result(
        Status.FAIL,
        f"no client-side secret scanning before commit or push ({where}); {server}",
        skipped=precommit.skipped,
    )


# -- input validation ------------------------------------------------------------------------------

_VALIDATORS = re.compile(
    r"(?<![\w-])(pydantic|marshmallow|jsonschema|cerberus|voluptuous|wtforms|flask-wtf|djangorestframework"
    r"|typeguard|beartype|zod|joi|@hapi/joi|yup|class-validator|ajv|superstruct|valibot|io-ts"
    r"|express-validator|go-playground/validator|go-ozzo/ozzo-validation|hibernate-validator"
    r"|jakarta\.validation|javax\.validation|spring-boot-starter-validation|dry-validation"
    r"|respect/validation|symfony/validator|FluentValidation|garde)(?![\w-])(?=[\s\"':=<>~!^@,\[\];/]|$)",
    re.MULTILINE,
)
_SOURCE_VALIDATION = re.compile(
    r"^\s*(?:from django import forms|from rest_framework import serializers|import attrs?$)"
    r"|\battrs?\.validators\.\w+\(|\bforms\.(?:Form|ModelForm)\)",
    re.MULTILINE,
)


def evaluate_input_validation(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    app = app_code(repo)
    if not app.sources:
        return ctx.result(Status.NOT_APPLICABLE, "no application source code outside tests, docs and scripts")
    evidence = [
        f"{h.path}:{h.line}: declares {m.group(1)}"
        for h in repo.grep(_VALIDATORS, dependency_manifests(repo))
        for m in [_VALIDATORS.search(h.text)]
        if m is not None
    ]
    hit = repo.any_match(_SOURCE_VALIDATION, app.sources)
    if hit is not None:
        evidence.append(f"{hit.path}:{hit.line}: uses {hit.text.strip()[:60]}")
    if evidence:
        return ctx.result(
            Status.PARTIAL,
            "validation libraries are declared; whether every input goes through them needs the SAST engine",
            evidence[:10],
        )
    return ctx.unknown(
        "no validation library is declared; how input is validated needs the SAST engine, not available yet",
        [f"dependency manifests read: {', '.join(dependency_manifests(repo)[:5]) or 'none'}"],
    )


# -- logging ---------------------------------------------------------------------------------------

_LOGGING: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "py",
        re.compile(
            r"^\s*(import\s+(logging|structlog|loguru)\b|from\s+(logging|structlog|loguru)\s+import)",
            re.MULTILINE,
        ),
    ),
    (
        "js",
        re.compile(
            r"(require\(|from\s+)[\"'](winston|pino|bunyan|log4js|loglevel|@nestjs/common|signale)[\"']"
        ),
    ),
    (
        "go",
        re.compile(
            r"\"(log|log/slog|go\.uber\.org/zap|github\.com/sirupsen/logrus|github\.com/rs/zerolog)\""
        ),
    ),
    (
        "java",
        re.compile(
            r"import\s+(org\.slf4j|org\.apache\.(logging\.)?log4j|java\.util\.logging|ch\.qos\.logback)"
        ),
    ),
    ("kt", re.compile(r"import\s+(org\.slf4j|mu\.KotlinLogging|io\.github\.oshai)")),
    ("rb", re.compile(r"\bLogger\.new\b|Rails\.logger|require\s+[\"']logger[\"']")),
    ("php", re.compile(r"Psr\\Log|Monolog\\|Log::(info|error|warning)")),
    ("cs", re.compile(r"using\s+(Microsoft\.Extensions\.Logging|Serilog|NLog|log4net)")),
    ("rs", re.compile(r"\b(use\s+(log|tracing)::|(log|tracing)::(info|warn|error|debug)!)")),
)


_ALIASES = {"js": ("ts", "tsx", "jsx", "mjs", "cjs"), "kt": ("kts",), "java": ("scala",)}


def evaluate_logging(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    app = app_code(repo)
    if not app.sources:
        return ctx.result(Status.NOT_APPLICABLE, "no application source code outside tests, docs and scripts")
    using: list[str] = []
    first: dict[str, str] = {}
    for ext, rx in _LOGGING:
        files = [f for f in app.sources if f.rsplit(".", 1)[-1] in (ext, *_ALIASES.get(ext, ()))]
        for rel in files:
            hit = repo.any_match(rx, [rel])
            if hit is not None:
                using.append(rel)
                first.setdefault(ext, f"{hit.path}:{hit.line}: {hit.text.strip()[:80]}")
    if not using:
        return ctx.result(
            Status.FAIL,
            f"no logging library is used in {len(app.sources)} application source file(s)",
            [f"application source, e.g. {', '.join(app.sources[:3])}"],
        )
    evidence = [
        f"logging used in {len(using)} of {len(app.sources)} application source files",
        *first.values(),
    ]
    return ctx.result(Status.PASS, "application code logs through a logging library", evidence)


EVALUATORS: dict[str, Evaluator] = {
    "code.branch-protection": evaluate_branch_protection,
    "code.review": evaluate_review,
    "code.secrets": evaluate_secrets,
    "code.push-protection": evaluate_push_protection,
    "code.input-validation": evaluate_input_validation,
    "code.logging": evaluate_logging,
}
