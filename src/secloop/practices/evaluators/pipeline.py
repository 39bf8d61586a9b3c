"""Evaluators of the pipeline stage, decided by the pipeline engine's scan of GitHub Actions workflows.

The scan is computed once per repository (see `secloop.pipeline.engine.scan_workflows`) and shared by
every practice here. Each finding is carried by one practice only (the OWASP CICD-SEC practice its
rule maps to), so the gate never counts it twice; the hardening practices cite those findings as
evidence. Skipped workflow files are reported once, on pipeline.cicd-sec-4.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from secloop.core.enums import Severity, Status
from secloop.core.model import Finding, PracticeResult
from secloop.core.rules import Rule
from secloop.pipeline.audits.excessive_permissions import (
    KIND_DEFAULT,
    KIND_JOB_WRITE_ALL,
    KIND_WRITE_ALL,
    KIND_WRITE_SCOPE,
)
from secloop.pipeline.audits.unpinned_action import first_party
from secloop.pipeline.azure.engine import AzureScan, scan_azure
from secloop.pipeline.bitbucket.engine import BitbucketScan, scan_bitbucket
from secloop.pipeline.dependabot import DependabotScan, scan_dependabot
from secloop.pipeline.engine import PipelineScan, scan_actions, scan_workflows
from secloop.pipeline.gitlab.engine import GitlabScan, scan_gitlab
from secloop.pipeline.jenkins.engine import JenkinsScan, scan_jenkins
from secloop.pipeline.rules import RULES as ENGINE_RULES
from secloop.pipeline.workflow import Entry, Workflow
from secloop.practices.base import Context, Evaluator
from secloop.sources.repo import Repo

RULES: tuple[Rule, ...] = ()  # the pipeline's rules live with the engine (secloop.pipeline.rules)

DT = "GHA-DANGEROUS-TRIGGER"
TI = "GHA-TEMPLATE-INJECTION"
EP = "GHA-EXCESSIVE-PERMISSIONS"
UA = "GHA-UNPINNED-ACTION"
SH = "GHA-SELF-HOSTED-RUNNER"
SI = "GHA-SECRETS-INHERIT"
PC = "GHA-PERSIST-CREDENTIALS"
CP = "GHA-CURL-PIPE-SHELL"

NOT_APPLICABLE = "no CI configuration found"
# Platforms with audits of their own (their findings join the CICD-SEC practices); the others are only named.
AUDITED_ELSEWHERE = frozenset({"GitLab CI", "Jenkins", "Bitbucket Pipelines", "Azure Pipelines"})
MAX_EVIDENCE = 12

# Root-level files of other CI platforms (Jenkinsfile is matched at any depth).
OTHER_CI = {
    ".gitlab-ci.yml": "GitLab CI",
    "azure-pipelines.yml": "Azure Pipelines",
    "bitbucket-pipelines.yml": "Bitbucket Pipelines",
    ".circleci/config.yml": "CircleCI",
    ".travis.yml": "Travis CI",
}
LOCKFILES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "Cargo.lock",
        "go.sum",
        "Gemfile.lock",
        "composer.lock",
    }
)
CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
PROVENANCE_ACTIONS = (
    "actions/attest-build-provenance",
    "actions/attest",
    "actions/attest-sbom",
    "sigstore/cosign-installer",
    "sigstore/gh-action-sigstore-python",
    "slsa-framework/slsa-github-generator",
)
PROVENANCE_RUN = re.compile(r"\bcosign\s+(?:sign|attest|verify)|\bgh\s+attestation\b|\bslsa-verifier\b")
SECRET_REF = re.compile(r"\bsecrets\.")
_TITLES = {rule.id: rule.title for rule in ENGINE_RULES}
# Each rule's findings are carried by the practice of the first CICD-SEC risk it maps to.
_CARRIER = {rule.id: rule.cicd_sec[0] for rule in ENGINE_RULES if rule.cicd_sec}
_DECIDED_BY_NAME = frozenset({DT, TI, EP, UA, SH, SI, PC, CP})


def other_ci(repo: Repo) -> list[tuple[str, str]]:
    """(path, platform) of other CI configurations in the repository."""
    found = [(f, OTHER_CI[f]) for f in repo.files() if f in OTHER_CI]
    found += [(f, "Jenkins") for f in repo.files() if f.rsplit("/", 1)[-1] == "Jenkinsfile"]
    return sorted(found)


@dataclass(frozen=True)
class Setting:
    scan: PipelineScan
    others: tuple[tuple[str, str], ...]

    @property
    def notes(self) -> list[str]:
        return [
            f"{path}: {platform} configuration, {_audit_state(platform)}" for path, platform in self.others
        ]


def _audit_state(platform: str) -> str:
    return "audited by its own rules" if platform in AUDITED_ELSEWHERE else "not audited yet"


def _setting(ctx: Context) -> Setting | PracticeResult:
    """The scan, or the result every practice gives when there is nothing GitHub Actions to judge."""
    scan = scan_workflows(ctx.repo)
    others = tuple(other_ci(ctx.repo))
    if not scan.paths:
        if others:
            names = ", ".join(sorted({p for _, p in others}))
            return ctx.unknown(
                f"only {names} configuration found; this practice's GitHub Actions checks do not apply "
                "(findings of the platforms secloop audits are listed with them)",
                [f"{path}: {platform} configuration, {_audit_state(platform)}" for path, platform in others],
            )
        return ctx.result(Status.NOT_APPLICABLE, NOT_APPLICABLE)
    if not scan.workflows:
        return ctx.result(
            Status.UNKNOWN,
            f"none of the {len(scan.paths)} workflow file(s) could be read",
            [f"{s.path}{f':{s.line}' if s.line else ''}: {s.reason}" for s in scan.skipped[:MAX_EVIDENCE]],
            skipped=scan.skipped if ctx.practice.id == "pipeline.cicd-sec-4" else (),
        )
    return Setting(scan, others)


def _capped(lines: Sequence[str]) -> list[str]:
    if len(lines) <= MAX_EVIDENCE:
        return list(lines)
    return [*lines[:MAX_EVIDENCE], f"… and {len(lines) - MAX_EVIDENCE} more"]


def finding_evidence(findings: Iterable[Finding]) -> list[str]:
    """One line per (file, rule): where it first occurs, and how often."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        loc = f.primary
        groups.setdefault((loc.path if loc else "", f.rule_id), []).append(f)
    lines = []
    for (path, rule_id), group in groups.items():
        first = group[0].primary
        where = f"{path}:{first.start_line}" if first and first.start_line else path
        times = f" ({len(group)} times)" if len(group) > 1 else ""
        lines.append(f"{where}: {_TITLES.get(rule_id, rule_id)}{times}")
    return _capped(lines)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _read(scan: PipelineScan) -> str:
    return f"{_count(len(scan.workflows), 'workflow')} read"


# -- OWASP CICD-SEC practices that need the GitHub API ---------------------------------------------


def _needs_api(reason: str, evidence: Callable[[Context, Setting], list[str]] | None = None) -> Evaluator:
    def evaluate(ctx: Context) -> PracticeResult:
        setting = _setting(ctx)
        if isinstance(setting, PracticeResult):
            return setting
        lines = evidence(ctx, setting) if evidence else []
        return ctx.unknown(reason, [*lines, *setting.notes])

    return evaluate


def _flow_control_evidence(ctx: Context, setting: Setting) -> list[str]:
    files = set(ctx.repo.files())
    owners = [p for p in CODEOWNERS if p in files]
    lines = [f"{p}: CODEOWNERS assigns reviewers" for p in owners] or [
        "no CODEOWNERS file (CODEOWNERS, .github/CODEOWNERS, docs/CODEOWNERS)"
    ]
    gated = [
        f"{job.location.path}:{job.location.start_line}: job {job.id} deploys to environment "
        f"{job.environment!r} (its protection rules are set in GitHub)"
        for wf in setting.scan.workflows
        for job in wf.jobs
        if job.environment
    ]
    return lines + _capped(gated)


def _third_party_evidence(ctx: Context, setting: Setting) -> list[str]:
    publishers: set[str] = set()
    for wf in setting.scan.workflows:
        for job in wf.jobs:
            for uses in (job.uses, *(s.uses for s in job.steps)):
                text = uses.text.strip() if uses is not None else ""
                if text and not text.startswith(("./", "docker://")) and not first_party(text):
                    publishers.add(text.split("/", 1)[0])
    if not publishers:
        return ["the workflows use no third-party actions"]
    shown = ", ".join(sorted(publishers)[:MAX_EVIDENCE])
    return [f"workflows run actions of {_count(len(publishers), 'third-party publisher')}: {shown}"]


evaluate_flow_control = _needs_api(
    "branch protection, required reviews and environment protection rules are GitHub settings; "
    "deciding needs the GitHub API",
    _flow_control_evidence,
)
evaluate_identity = _needs_api(
    "members, outside collaborators, deploy keys and token scopes are visible only through the GitHub API"
)
evaluate_third_party_services = _needs_api(
    "installed GitHub Apps, OAuth apps and webhooks are visible only through the GitHub API",
    _third_party_evidence,
)
evaluate_logging = _needs_api(
    "audit log retention and streaming are configured in GitHub; deciding needs the audit log API"
)


# -- practices decided by findings ---------------------------------------------------------------


def evaluate_dependency_chain(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    findings = setting.scan.of(UA, CP)
    locks = sorted({f for f in ctx.repo.files() if f.rsplit("/", 1)[-1] in LOCKFILES})
    lock_line = (
        f"lockfiles: {', '.join(locks[:MAX_EVIDENCE])}{' …' if len(locks) > MAX_EVIDENCE else ''}"
        if locks
        else "no lockfile in the repository"
    )
    notes = [lock_line, *setting.notes]
    if not findings:
        return ctx.result(
            Status.PASS,
            f"{_read(setting.scan)}: every action is pinned to a commit SHA and no script is piped "
            "into a shell",
            notes,
        )
    serious = [f for f in findings if f.severity.at_least(Severity.MEDIUM)]
    pipes = sum(1 for f in findings if f.rule_id == CP)
    unpinned = len(findings) - pipes
    summary = f"{_count(unpinned, 'unpinned action reference')}, {_count(pipes, 'script')} piped into a shell"
    status = Status.FAIL if serious else Status.PARTIAL
    if not serious:
        summary += " (only GitHub's own actions are unpinned)"
    return ctx.result(status, summary, [*finding_evidence(findings), *notes], findings)


def evaluate_poisoned_pipeline(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    scan = setting.scan
    findings = scan.of(DT, TI)
    evidence = [*finding_evidence(findings), *setting.notes]
    evidence += [f"{s.path}{f':{s.line}' if s.line else ''}: not audited: {s.reason}" for s in scan.skipped]
    if not findings:
        return ctx.result(
            Status.PASS,
            f"{_read(scan)}: no privileged trigger on untrusted events and no attacker-controlled "
            "expression in a script",
            evidence,
            skipped=scan.skipped,
        )
    injections = sum(1 for f in findings if f.rule_id == TI)
    head = sum(1 for f in findings if f.rule_id == DT and f.severity is Severity.HIGH)
    if injections or head:
        summary = (
            f"{_count(injections, 'attacker-controlled expression')} in scripts, "
            f"{_count(head, 'privileged workflow')} checking out untrusted code"
        )
        return ctx.result(Status.FAIL, summary, evidence, findings, scan.skipped)
    triggers = sorted({dict(f.properties).get("trigger", "") for f in findings})
    return ctx.result(
        Status.PARTIAL,
        f"{' and '.join(triggers)} used without checking out untrusted code; keep it that way",
        evidence,
        findings,
        scan.skipped,
    )


def _kind(finding: Finding) -> str:
    return dict(finding.properties).get("kind", "")


def evaluate_pbac(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    findings = setting.scan.of(EP)
    evidence = [*finding_evidence(findings), *setting.notes]
    status, summary = _permission_status(setting.scan, findings)
    return ctx.result(status, summary, evidence, findings)


def _permission_status(scan: PipelineScan, findings: Sequence[Finding]) -> tuple[Status, str]:
    top = [f for f in findings if _kind(f) in (KIND_WRITE_ALL, KIND_WRITE_SCOPE)]
    if top:
        files = sorted({f.primary.path for f in top if f.primary})
        return Status.FAIL, f"write access granted to every job at the top of {', '.join(files)}"
    if findings:
        defaults = sum(1 for f in findings if _kind(f) == KIND_DEFAULT)
        broad = sum(1 for f in findings if _kind(f) == KIND_JOB_WRITE_ALL)
        return (
            Status.PARTIAL,
            f"{_count(defaults, 'job')} on the default token, {_count(broad, 'job')} asking for write-all",
        )
    return Status.PASS, f"{_read(scan)}: every job has declared permissions and none writes at the top level"


def evaluate_credential_hygiene(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    findings = setting.scan.of(SI, PC)
    evidence = [*finding_evidence(findings), *setting.notes]
    inherit = sum(1 for f in findings if f.rule_id == SI)
    persist = len(findings) - inherit
    if inherit:
        return ctx.result(
            Status.FAIL,
            f"{_count(inherit, 'reusable workflow call')} with `secrets: inherit`",
            evidence,
            findings,
        )
    if persist:
        return ctx.result(
            Status.PARTIAL,
            f"{_count(persist, 'checkout')} {'leaves' if persist == 1 else 'leave'} the token in .git/config",
            evidence,
            findings,
        )
    return ctx.result(
        Status.PASS,
        f"{_read(setting.scan)}: no `secrets: inherit` and no checkout persisting its token",
        evidence,
    )


def _runner_status(findings: Sequence[Finding]) -> tuple[Status, str]:
    exposed = sum(1 for f in findings if f.severity.at_least(Severity.MEDIUM))
    if exposed:
        return Status.FAIL, f"{_count(exposed, 'self-hosted job')} in workflows outsiders can trigger"
    if findings:
        return (
            Status.PARTIAL,
            f"{_count(len(findings), 'job')} on self-hosted runners, none reachable from forks",
        )
    return Status.PASS, "every job runs on a GitHub-hosted runner"


def evaluate_system_configuration(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    findings = setting.scan.of(SH)
    status, summary = _runner_status(findings)
    return ctx.result(status, summary, [*finding_evidence(findings), *setting.notes], findings)


def provenance_steps(workflows: Iterable[Workflow]) -> list[str]:
    """Evidence lines for each step or job that signs, attests or verifies artifacts."""
    lines = []
    for wf in workflows:
        for job in wf.jobs:
            if job.uses is not None and job.uses.text.strip().startswith(PROVENANCE_ACTIONS[-1] + "/"):
                lines.append(
                    f"{wf.path}:{job.uses.location.start_line}: job {job.id} runs the SLSA generator"
                )
            for step in job.steps:
                action = next((a for a in PROVENANCE_ACTIONS if step.uses_action(a)), None)
                if action is not None and step.uses is not None:
                    lines.append(f"{wf.path}:{step.uses.location.start_line}: {action}")
                elif step.run is not None and (m := PROVENANCE_RUN.search(step.run.raw)):
                    line, _ = step.run.position(m.start())
                    lines.append(f"{wf.path}:{line}: runs `{' '.join(m.group(0).split())}`")
    return lines


def evaluate_artifact_integrity(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    unpinned = setting.scan.of(UA)
    third_party = [f for f in unpinned if f.severity.at_least(Severity.MEDIUM)]
    signing = provenance_steps(setting.scan.workflows)
    evidence = [
        *(_capped(signing) or ["no step signs artifacts or produces provenance"]),
        *(
            [f"{_count(len(unpinned), 'unpinned action reference')} (listed under pipeline.cicd-sec-3)"]
            if unpinned
            else ["every action and reusable workflow is pinned to a full commit SHA"]
        ),
        *setting.notes,
    ]
    if third_party:
        return ctx.result(
            Status.FAIL,
            f"{_count(len(third_party), 'third-party action reference')} by a movable ref: the "
            "build's own code can change under it",
            evidence,
        )
    if unpinned:
        return ctx.result(Status.PARTIAL, "GitHub's own actions are used by movable tags", evidence)
    if not signing:
        return ctx.result(
            Status.PARTIAL,
            "actions are pinned, but nothing signs the artifacts or attests their provenance",
            evidence,
        )
    return ctx.result(Status.PASS, "actions are pinned and artifacts are signed or attested", evidence)


# -- hardening practices (evidence only; the findings live on the CICD-SEC practices) ------------


def evaluate_least_privilege_tokens(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    findings = setting.scan.of(EP)
    status, summary = _permission_status(setting.scan, findings)
    declared = [
        f"{wf.path}:{wf.permissions.location.start_line}: {_describe(wf)}"
        for wf in setting.scan.workflows
        if wf.permissions is not None
    ]
    evidence = [*finding_evidence(findings), *_capped(declared), *setting.notes]
    if findings:
        evidence.append(f"{_count(len(findings), 'finding')} listed under pipeline.cicd-sec-5")
    return ctx.result(status, summary, evidence)


def _describe(wf: Workflow) -> str:
    perms = wf.permissions
    assert perms is not None
    if perms.preset is not None:
        return f"permissions: {perms.preset or '{}'}"
    scopes = ", ".join(f"{s.key}: {s.value.text if s.value else '?'}" for s in perms.scopes)
    return f"permissions: {scopes or '{}'}"


def evaluate_managed_runners(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    findings = setting.scan.of(SH)
    status, summary = _runner_status(findings)
    evidence = [*finding_evidence(findings), *setting.notes]
    if findings:
        evidence.append(f"{_count(len(findings), 'finding')} listed under pipeline.cicd-sec-7")
    return ctx.result(status, summary, evidence)


def _secret_entries(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if e.value is not None and SECRET_REF.search(e.value.raw)]


def evaluate_scoped_secrets(ctx: Context) -> PracticeResult:
    setting = _setting(ctx)
    if isinstance(setting, PracticeResult):
        return setting
    workflow_level: list[str] = []
    job_level: list[str] = []
    for wf in setting.scan.workflows:
        for e in _secret_entries(wf.env):
            workflow_level.append(
                f"{wf.path}:{e.key_location.start_line}: workflow env {e.key} holds a secret"
            )
        for job in wf.jobs:
            for e in _secret_entries(job.env):
                job_level.append(
                    f"{wf.path}:{e.key_location.start_line}: env {e.key} of job {job.id} holds a secret"
                )
    inherit = setting.scan.of(SI)
    evidence = [
        *_capped(workflow_level),
        *finding_evidence(inherit),
        *_capped(job_level),
        *setting.notes,
    ]
    if workflow_level or inherit:
        parts = []
        if workflow_level:
            parts.append(f"{_count(len(workflow_level), 'secret')} in workflow-level env")
        if inherit:
            parts.append(f"{_count(len(inherit), 'call')} with `secrets: inherit`")
        return ctx.result(Status.FAIL, ", ".join(parts) + ": visible to every job", evidence)
    if job_level:
        return ctx.result(
            Status.PARTIAL,
            f"{_count(len(job_level), 'secret')} in job-level env, visible to every step",
            evidence,
        )
    return ctx.result(Status.PASS, f"{_read(setting.scan)}: secrets are referenced only by steps", evidence)


# -- the other audits of each risk, folded into its practice ---------------------------------------


def other_platform_scans(
    repo: Repo,
) -> list[PipelineScan | GitlabScan | JenkinsScan | BitbucketScan | AzureScan | DependabotScan]:
    """Scans beside the workflows: composite actions, GitLab CI, Jenkins, Bitbucket Pipelines, Azure
    Pipelines and the Dependabot configuration."""
    scans = (
        scan_actions(repo),
        scan_gitlab(repo),
        scan_jenkins(repo),
        scan_bitbucket(repo),
        scan_azure(repo),
        scan_dependabot(repo),
    )
    return [scan for scan in scans if scan is not None]


def mapped_findings(repo: Repo, risk: int) -> tuple[Finding, ...]:
    """Findings whose first CICD-SEC risk is `risk` that the practice's own logic did not take:
    the workflows' other audits, and every finding in actions and other platforms' files."""
    findings = [f for f in scan_workflows(repo).findings if f.rule_id not in _DECIDED_BY_NAME]
    for scan in other_platform_scans(repo):
        findings += scan.findings
    return tuple(f for f in findings if _CARRIER.get(f.rule_id) == risk)


_RANK = {Status.PASS: 0, Status.NOT_APPLICABLE: 0, Status.UNKNOWN: 1, Status.PARTIAL: 2, Status.FAIL: 3}


def with_mapped(risk: int, evaluate: Evaluator) -> Evaluator:
    """`evaluate`, made worse (never better) by the findings of the other audits of the same risk."""

    def evaluate_with_mapped(ctx: Context) -> PracticeResult:
        result = evaluate(ctx)
        if result.status is Status.NOT_APPLICABLE:
            return result
        extra = mapped_findings(ctx.repo, risk)
        unread = [s for scan in other_platform_scans(ctx.repo) for s in scan.skipped] if risk == 4 else []
        if unread:
            result = ctx.result(
                result.status,
                result.summary,
                [
                    *result.evidence,
                    *(f"{s.path}{f':{s.line}' if s.line else ''}: not audited: {s.reason}" for s in unread),
                ],
                result.findings,
                (*result.skipped, *unread),
            )
        if not extra:
            return result
        floor = Status.FAIL if any(f.severity.at_least(Severity.MEDIUM) for f in extra) else Status.PARTIAL
        status = floor if _RANK[floor] > _RANK[result.status] else result.status
        titles = sorted({_TITLES.get(f.rule_id, f.rule_id).lower() for f in extra})
        summary = f"{_count(len(extra), 'finding')} ({'; '.join(titles)}); {result.summary}"
        return ctx.result(
            status,
            summary,
            [*finding_evidence(extra), *result.evidence],
            (*result.findings, *extra),
            result.skipped,
        )

    return evaluate_with_mapped


EVALUATORS: dict[str, Evaluator] = {
    "pipeline.cicd-sec-1": with_mapped(1, evaluate_flow_control),
    "pipeline.cicd-sec-2": with_mapped(2, evaluate_identity),
    "pipeline.cicd-sec-3": with_mapped(3, evaluate_dependency_chain),
    "pipeline.cicd-sec-4": with_mapped(4, evaluate_poisoned_pipeline),
    "pipeline.cicd-sec-5": with_mapped(5, evaluate_pbac),
    "pipeline.cicd-sec-6": with_mapped(6, evaluate_credential_hygiene),
    "pipeline.cicd-sec-7": with_mapped(7, evaluate_system_configuration),
    "pipeline.cicd-sec-8": with_mapped(8, evaluate_third_party_services),
    "pipeline.cicd-sec-9": with_mapped(9, evaluate_artifact_integrity),
    "pipeline.cicd-sec-10": with_mapped(10, evaluate_logging),
    "pipeline.least-privilege-tokens": evaluate_least_privilege_tokens,
    "pipeline.managed-runners": evaluate_managed_runners,
    "pipeline.scoped-secrets": evaluate_scoped_secrets,
}
