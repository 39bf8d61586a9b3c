"""Evaluators of the build stage: CI, static analysis, IaC and dependency scanning, update hygiene."""

from __future__ import annotations

import re

from secloop.core.enums import Confidence, Severity, Stage, Status
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, PracticeResult
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.sources.ci import discover, load_ci, load_precommit
from secloop.sources.ci.scripts import Use, tool_uses
from secloop.sources.manifests import app_code, inventory
from secloop.sources.repo import Repo
from secloop.sources.updates import Cooldown, UpdateEntry, at_least_monthly, format_days, load_updates

COOLDOWN_DAYS = 14

COOLDOWN_MISSING = Rule(
    id="BUILD-COOLDOWN-MISSING",
    title="Dependency updates adopt new releases without a cooldown",
    stage=Stage.BUILD,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "A Dependabot `updates:` entry or a Renovate configuration proposes a release as soon as it is "
        "published. Malicious releases of popular packages are usually found and pulled within days; a "
        "cooldown keeps them out of the codebase meanwhile. Security updates are not delayed by it."
    ),
    fix=(
        f"Dependabot: add `cooldown: {{default-days: {COOLDOWN_DAYS}}}` to the entry. "
        f'Renovate: set `"minimumReleaseAge": "{COOLDOWN_DAYS} days"`.'
    ),
    cwe=(1357,),
    cicd_sec=(3,),
)
COOLDOWN_SHORT = Rule(
    id="BUILD-COOLDOWN-SHORT",
    title="Dependency cooldown is shorter than 14 days",
    stage=Stage.BUILD,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "A release-age cooldown is configured but shorter than two weeks, the window in which most "
        "compromised releases are detected and withdrawn."
    ),
    fix=f"Raise the setting to at least {COOLDOWN_DAYS} days (units differ: pnpm and Yarn use minutes).",
    cwe=(1357,),
    cicd_sec=(3,),
)
RULES: tuple[Rule, ...] = (COOLDOWN_MISSING, COOLDOWN_SHORT)

DEPS_ENGINE = "whether the dependencies have known vulnerabilities needs the deps engine (not available yet)"


def _uses(repo: Repo, pattern: re.Pattern[str]) -> list[Use]:
    return tool_uses(repo, load_ci(repo), load_precommit(repo), pattern)


# -- dependency manifests --------------------------------------------------------------------------

_NOT_PROJECT = re.compile(r"(^|/)(tests?|fixtures|testdata|test_data|examples?|samples?|docs?)/")
_DECLARES = re.compile(
    r"^\s*(dependencies|optional-dependencies|install_requires|requires\s*=|\[tool\.poetry|\[project\.optional"
    r"|\[dependency-groups\]|\[packages\])",
    re.MULTILINE,
)


def dependency_manifests(repo: Repo) -> list[str]:
    """Dependency manifests of the project itself (fixtures and examples are not the project's)."""
    found = []
    for rel in app_code(repo).dependency_files:
        if _NOT_PROJECT.search(rel):
            continue
        name = rel.rsplit("/", 1)[-1]
        text = repo.read_text(rel) or ""
        if name in ("pyproject.toml", "setup.cfg") and not _DECLARES.search(text):
            continue
        if name.startswith("requirements") and not re.search(r"^\s*[A-Za-z0-9]", text, re.MULTILINE):
            continue
        found.append(rel)
    return found


def _na_without_dependencies(ctx: Context) -> PracticeResult | None:
    if dependency_manifests(ctx.repo):
        return None
    return ctx.result(
        Status.NOT_APPLICABLE, "no dependency manifests (requirements, package.json, go.mod, ...)"
    )


# -- CI --------------------------------------------------------------------------------------------


def evaluate_ci(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    config = load_ci(repo)
    files = discover(repo)
    if not files:
        return ctx.result(
            Status.FAIL,
            "no CI configuration (GitHub Actions, GitLab CI, Azure Pipelines, Jenkinsfile, Bitbucket "
            "Pipelines, CircleCI)",
        )
    if not config.pipelines:
        return ctx.result(
            Status.UNKNOWN,
            "CI files exist but none could be read",
            [f.path for f in files],
            skipped=config.skipped,
        )
    evidence = [
        f"{p.file.path}: included template" if p.fragment else f"{p.file.path}: {p.triggers.describe()}"
        for p in config.pipelines
    ]
    own = [p for p in config.pipelines if not p.fragment]
    pr = any(p.triggers.pull_request for p in own)
    main = any(p.triggers.push_main for p in own)
    if pr and main:
        return ctx.result(
            Status.PASS,
            "CI runs on pull requests and on pushes to the main branch",
            evidence,
            skipped=config.skipped,
        )
    if any(not p.triggers.known for p in own) and not (pr or main):
        summary = "CI exists but its triggers are configured outside the repository"
    elif pr or main:
        summary = f"CI runs on {'pull requests' if pr else 'pushes to main'} but not on " + (
            "pushes to main" if pr else "pull requests"
        )
    else:
        summary = "CI exists but runs neither on pull requests nor on pushes to main"
    return ctx.result(
        Status.PARTIAL, summary, evidence, skipped=config.skipped, score=50 if pr or main else 25
    )


def evaluate_trunk_based(ctx: Context) -> PracticeResult:
    return ctx.unknown(
        "branch lifetimes and integration frequency come from `secloop trunk` (the delivery engine), "
        "which is not available yet"
    )


# -- SAST ------------------------------------------------------------------------------------------

_SAST = re.compile(
    r"github/codeql-action/(?:analyze|init)|\bcodeql\s+(?:database|github)|AdvancedSecurity-Codeql"
    r"|\bsemgrep\b|\bbandit\b|sonar-scanner|sonarsource/|\bsonar:sonar\b|Sonar(?:Qube|Cloud)(?:Prepare|Analyze)"
    r"|\bsnyk\s+code\b|snyk/actions/\S+.*command:\s*code|\bgosec\b|\bbrakeman\b|\bnjsscan\b|find-?sec-?bugs"
    r"|(?:Security|Jobs)/SAST\.(?:latest\.)?gitlab-ci\.yml|\bsecloop\s+scan\s+sast\b",
    re.IGNORECASE,
)
_ESLINT_SECURITY = re.compile(
    r"\"(eslint-plugin-security|@microsoft/eslint-plugin-sdl|eslint-plugin-no-unsanitized)\""
)
_ESLINT_RUN = re.compile(r"\beslint\b|\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?lint\b")
_RUFF_SECURITY = re.compile(r"^\s*(?:extend-)?select\s*=\s*\[[^\]]*[\"'](?:S|ALL)[\"']", re.MULTILINE)
_RUFF_RUN = re.compile(r"\bruff\b(?!\s+format)")


def _linter_sast(repo: Repo) -> list[str]:
    """Security lint rules that run in CI or pre-commit: eslint security plugins, ruff's bandit rules."""
    evidence: list[str] = []
    plugin = repo.any_match(_ESLINT_SECURITY, repo.glob("package.json", "*/package.json"))
    runs = _uses(repo, _ESLINT_RUN) if plugin else []
    if plugin and runs:
        evidence.append(f"{plugin.path}:{plugin.line}: eslint security plugin, run at {runs[0].where}")
    ruff = repo.any_match(
        _RUFF_SECURITY, [f for f in ("pyproject.toml", "ruff.toml", ".ruff.toml") if repo.exists(f)]
    )
    runs = _uses(repo, _RUFF_RUN) if ruff else []
    if ruff and runs:
        evidence.append(
            f"{ruff.path}:{ruff.line}: ruff security (S, flake8-bandit) rules, run at {runs[0].where}"
        )
    return evidence


def evaluate_sast(ctx: Context) -> PracticeResult:
    uses = _uses(ctx.repo, _SAST)
    evidence = [str(u) for u in uses[:10]] + _linter_sast(ctx.repo)
    skipped = load_ci(ctx.repo).skipped + load_precommit(ctx.repo).skipped
    if evidence:
        return ctx.result(Status.PASS, "a SAST tool runs in CI or pre-commit", evidence, skipped=skipped)
    return ctx.result(
        Status.FAIL,
        "no SAST tool (CodeQL, Semgrep, Bandit, Sonar, Snyk Code, gosec, Brakeman, secloop scan sast) runs "
        "in CI or pre-commit",
        skipped=skipped,
    )


# -- IaC scanning ----------------------------------------------------------------------------------

_KINDS = {
    "Terraform/OpenTofu": "terraform",
    "Bicep": "bicep",
    "Helm": "kubernetes",
    "Kustomize": "kubernetes",
    "Kubernetes manifests": "kubernetes",
    "CloudFormation/SAM": "cloudformation",
}
_ALL = frozenset({"terraform", "bicep", "kubernetes", "cloudformation", "dockerfile"})
_IAC_SCANNERS: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = (
    ("Checkov", re.compile(r"\bcheckov\b", re.I), _ALL),
    ("KICS", re.compile(r"\bkics\b", re.I), _ALL),
    ("GitLab IaC SAST", re.compile(r"SAST-IaC", re.I), _ALL),
    ("secloop", re.compile(r"\bsecloop\s+scan\s+iac\b"), _ALL),
    ("Trivy", re.compile(r"\btrivy\b.*\b(?:config|misconfig)\b", re.I), _ALL - {"bicep"}),
    ("Terrascan", re.compile(r"\bterrascan\b", re.I), _ALL - {"bicep"}),
    ("Snyk IaC", re.compile(r"\bsnyk\s+iac\b|snyk/actions/iac", re.I), _ALL - {"dockerfile"}),
    ("tfsec", re.compile(r"\btfsec\b", re.I), frozenset({"terraform"})),
    ("Hadolint", re.compile(r"\bhadolint\b", re.I), frozenset({"dockerfile"})),
    ("kube-linter", re.compile(r"kube-linter", re.I), frozenset({"kubernetes"})),
    ("kubesec", re.compile(r"\bkubesec\b", re.I), frozenset({"kubernetes"})),
    ("kube-score", re.compile(r"kube-score", re.I), frozenset({"kubernetes"})),
    ("cfn-nag", re.compile(r"cfn[-_]nag", re.I), frozenset({"cloudformation"})),
)
_IAC_CONFIG = re.compile(
    r"(^|/)(\.checkov\.ya?ml|\.hadolint\.ya?ml|\.kube-linter\.ya?ml|\.tfsec/[^/]+|trivy\.yaml)$"
)


def evaluate_iac_scanning(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    inv = inventory(repo)
    present: dict[str, list[str]] = {}
    for kind, files in inv.iac:
        if kind in _KINDS:
            present.setdefault(_KINDS[kind], []).extend(files)
    if inv.dockerfiles:
        present["dockerfile"] = list(inv.dockerfiles)
    if not present:
        return ctx.result(
            Status.NOT_APPLICABLE,
            "no infrastructure as code (Terraform, Kubernetes, Helm, Dockerfile, CloudFormation, Bicep)",
        )
    evidence = [f"IaC: {kind} ({', '.join(files[:3])})" for kind, files in sorted(present.items())]
    covered: set[str] = set()
    for name, rx, kinds in _IAC_SCANNERS:
        uses = _uses(repo, rx)
        if uses:
            covered |= kinds & present.keys()
            evidence.append(f"{uses[0].where}: {name} ({uses[0].text[:60]})")
    missing = sorted(present.keys() - covered)
    if not missing:
        return ctx.result(Status.PASS, "an IaC scanner covers every kind of IaC in the repository", evidence)
    configs = [f for f in repo.files() if _IAC_CONFIG.search(f)]
    if covered or configs:
        evidence += [f"{f}: scanner configuration, but no CI or pre-commit step runs it" for f in configs]
        return ctx.result(Status.PARTIAL, f"no IaC scanner covers: {', '.join(missing)}", evidence)
    return ctx.result(
        Status.FAIL,
        f"IaC ({', '.join(sorted(present))}) is not scanned: no Checkov, Trivy config, KICS, Terrascan, "
        "tfsec, Hadolint, kube-linter or secloop scan iac in CI or pre-commit",
        evidence,
    )


# -- SCA -------------------------------------------------------------------------------------------

_SCA = re.compile(
    r"osv-scanner|pip-audit|\b(?:npm|pnpm|bun)\s+audit\b|\byarn\s+(?:npm\s+)?audit\b"
    r"|\bsnyk\s+(?:test|monitor)\b|snyk/actions/(?:node|python|golang|maven|gradle|dotnet|php|ruby|scala)\b"
    r"(?!.*command:\s*(?:code|iac))|\btrivy\b.*\b(?:fs|filesystem|repo|rootfs)\b|dependency-check"
    r"|dependency-review-action|\bsafety\s+(?:check|scan)\b|cargo[- ](?:audit|deny)|govulncheck"
    r"|bundler?[- ]audit|composer\s+audit|\bgrype\b|Dependency-Scanning"
    r"|dotnet\s+list\s+package\s+--vulnerable|\bsecloop\s+scan\s+deps\b",
    re.IGNORECASE,
)


# Dependabot ecosystems that do not cover the code's dependency manifests.
_NOT_CODE_ECOSYSTEMS = {"github-actions", "docker", "docker-compose", "devcontainers"}


def evaluate_sca(ctx: Context) -> PracticeResult:
    na = _na_without_dependencies(ctx)
    if na is not None:
        return na
    repo = ctx.repo
    updates = load_updates(repo)
    evidence = [
        f"{e.where}: {e.label} watches dependencies"
        for e in updates.entries
        if e.enabled and e.ecosystem not in _NOT_CODE_ECOSYSTEMS
    ]
    evidence += [f"{u.where}: {u.text[:80]}" for u in _uses(repo, _SCA)[:10]]
    if evidence:
        return ctx.result(Status.PASS, "dependency scanning is configured", [*evidence, DEPS_ENGINE])
    return ctx.result(
        Status.FAIL,
        "dependency manifests exist but nothing scans them (no Dependabot, Renovate, OSV-Scanner, pip-audit, "
        "npm audit, Snyk, Trivy fs, Dependency-Check or secloop scan deps)",
        [f"manifests: {', '.join(dependency_manifests(repo)[:5])}"],
        skipped=updates.skipped,
    )


# -- cooldown --------------------------------------------------------------------------------------


def _finding(rule: Rule, where: tuple[str, int], message: str, key: str) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=message,
        locations=(Location(where[0], where[1]),),
        fingerprint=keyed_fingerprint(rule.id, where[0], key),
        fix=rule.fix,
    )


def evaluate_dependency_cooldown(ctx: Context) -> PracticeResult:
    na = _na_without_dependencies(ctx)
    if na is not None:
        return na
    updates = load_updates(ctx.repo)
    entries = [e for e in updates.entries if e.enabled]
    cooldowns: list[Cooldown] = [e.cooldown for e in entries if e.cooldown] + list(
        updates.package_manager_cooldowns
    )
    without: list[UpdateEntry] = [e for e in entries if e.cooldown is None]
    findings = [
        _finding(
            COOLDOWN_MISSING,
            (e.path, e.line),
            f"{e.label} proposes new releases as soon as they are published (no cooldown)",
            f"{e.tool}:{e.ecosystem}:{e.directory}",
        )
        for e in without
    ]
    short = [c for c in cooldowns if c.days < COOLDOWN_DAYS]
    findings += [
        _finding(
            COOLDOWN_SHORT,
            (c.path, c.line),
            f"{c.tool} cooldown is {format_days(c.days)}, shorter than {COOLDOWN_DAYS} days",
            f"{c.tool}:{c.setting.split()[0]}",
        )
        for c in short
    ]
    evidence = [str(c) for c in cooldowns] + [f"{e.where}: {e.label} has no cooldown" for e in without]
    if not cooldowns:
        summary = (
            "update tools adopt new releases immediately (no cooldown)"
            if without
            else "no cooldown: neither an update tool nor the package manager waits before adopting releases"
        )
        return ctx.result(Status.FAIL, summary, evidence, findings, updates.skipped)
    if not findings:
        return ctx.result(
            Status.PASS,
            f"new releases wait at least {COOLDOWN_DAYS} days before adoption",
            evidence,
            skipped=updates.skipped,
        )
    shortest = min(c.days for c in cooldowns)
    summary = (
        f"a cooldown exists but {len(short)} setting(s) are under {COOLDOWN_DAYS} days"
        if short
        else (f"a cooldown exists but {len(without)} update configuration(s) have none")
    )
    return ctx.result(
        Status.PARTIAL, summary + f" (shortest: {format_days(shortest)})", evidence, findings, updates.skipped
    )


# -- freshness and component health ----------------------------------------------------------------


def evaluate_dependency_freshness(ctx: Context) -> PracticeResult:
    na = _na_without_dependencies(ctx)
    if na is not None:
        return na
    updates = load_updates(ctx.repo)
    entries = [e for e in updates.entries if e.enabled]
    disabled = [e for e in updates.entries if not e.enabled]
    if not entries:
        evidence = [f"{e.where}: {e.label} is disabled" for e in disabled]
        return ctx.result(
            Status.FAIL,
            "no automated dependency updates (Dependabot version updates or Renovate)",
            evidence,
            skipped=updates.skipped,
        )
    evidence = [f"{e.where}: {e.label} updates {e.schedule or 'at any time'}" for e in entries]
    slow = [e for e in entries if not at_least_monthly(e.schedule)]
    if slow:
        return ctx.result(
            Status.PARTIAL,
            f"{len(slow)} update schedule(s) run less often than monthly: "
            + ", ".join(f"{e.label} ({e.schedule})" for e in slow),
            evidence,
            skipped=updates.skipped,
        )
    return ctx.result(
        Status.PASS, "dependencies are updated monthly or more often", evidence, skipped=updates.skipped
    )


def evaluate_component_health(ctx: Context) -> PracticeResult:
    na = _na_without_dependencies(ctx)
    if na is not None:
        return na
    return ctx.unknown(
        "whether components are maintained and widely used needs registry metadata from the deps engine, "
        "which is not available yet",
        [f"manifests: {', '.join(dependency_manifests(ctx.repo)[:5])}"],
    )


EVALUATORS: dict[str, Evaluator] = {
    "build.ci": evaluate_ci,
    "build.trunk-based": evaluate_trunk_based,
    "build.sast": evaluate_sast,
    "build.iac-scanning": evaluate_iac_scanning,
    "build.sca": evaluate_sca,
    "build.dependency-cooldown": evaluate_dependency_cooldown,
    "build.dependency-freshness": evaluate_dependency_freshness,
    "build.component-health": evaluate_component_health,
}
