"""Evaluators of the operate stage: immutable infrastructure, no humans in production, production scanning."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from secloop.core.enums import Status
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, PracticeResult
from secloop.core.rules import Rule
from secloop.iac.base_image import UNPINNED_BASE_IMAGE
from secloop.practices.base import Context, Evaluator
from secloop.sources.delivery_jobs import SCHEDULE
from secloop.sources.manifests import (
    MAX_EVIDENCE,
    NOTHING_DEPLOYABLE,
    inventory,
    operator_files,
    preview,
)
from secloop.sources.repo import GrepHit, Repo

# Declared once, with the IaC engine that also raises it; this evaluator reuses it.
RULES: tuple[Rule, ...] = ()


# -- Dockerfile base images ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseImage:
    path: str
    line: int
    column: int
    image: str  # as resolved from ARG defaults
    pin: str  # digest | tag | latest | untagged | variable | stage | scratch


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, instruction) with backslash continuations joined and comments dropped."""
    start = 0
    parts: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if not parts:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


_VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")


def _substitute(value: str, args: dict[str, str]) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in args:
            return args[name]
        return match.group(2) if match.group(2) is not None else match.group(0)

    return _VAR.sub(repl, value)


def _pin(image: str, stages: set[str]) -> str:
    if image.lower() in stages:
        return "stage"
    if image.lower() == "scratch":
        return "scratch"
    if "$" in image:
        return "variable"
    if "@" in image:
        return "digest"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "untagged"
    return "latest" if last.rsplit(":", 1)[1] == "latest" else "tag"


def base_images(path: str, text: str) -> list[BaseImage]:
    """Every FROM of a Dockerfile, with ARG defaults declared before the first FROM substituted."""
    args: dict[str, str] = {}
    stages: set[str] = set()
    lines = text.splitlines()
    found: list[BaseImage] = []
    for number, instruction in _logical_lines(text):
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() == "ARG" and not found:
            name, eq, default = rest.strip().partition("=")
            if eq:  # an ARG without a default is only known at build time
                args[name.strip()] = default.strip().strip("'\"")
        elif keyword.upper() == "FROM":
            tokens = [t for t in rest.split() if not t.startswith("--")]
            if not tokens:
                continue
            image = _substitute(tokens[0], args)
            column = lines[number - 1].find(tokens[0]) + 1
            found.append(BaseImage(path, number, max(column, 1), image, _pin(image, stages)))
            if len(tokens) >= 3 and tokens[1].lower() == "as":
                stages.add(tokens[2].lower())
    return found


def _unpinned_finding(image: BaseImage, snippet: str) -> Finding:
    why = "the :latest tag moves" if image.pin == "latest" else "no tag means :latest, which moves"
    return Finding(
        rule_id=UNPINNED_BASE_IMAGE.id,
        severity=UNPINNED_BASE_IMAGE.severity,
        confidence=UNPINNED_BASE_IMAGE.confidence,
        message=f"base image '{image.image}' is not pinned: {why}; pin a version tag or a digest",
        locations=(Location(image.path, image.line, image.column, snippet=snippet.strip()),),
        fingerprint=keyed_fingerprint(UNPINNED_BASE_IMAGE.id, image.path, image.image),
        properties=(("image", image.image),),
        fix=UNPINNED_BASE_IMAGE.fix,
    )


# -- SSH and configuration management in CI and scripts ------------------------------------------

_REMOTE = re.compile(
    r"(?<![\w./-])(?:ssh|scp|sshpass)(?![\w-])[ \t]|(?<![\w-])rsync(?![\w-]).*\S@\S+:"
    r"|uses:\s*(?:appleboy/(?:ssh|scp)-action|easingthemes/ssh-deploy|burnett01/rsync-deployments"
    r"|garygrossgarten/github-action-ssh)"
)
_TARGET = re.compile(r"\S@\S|\S:\S*/|(?i:\$\{*\s*[\w.]*(?:host|server|ip)\b)|uses:|rsync")
_GIT_HOST = re.compile(r"git@(?:github\.com|gitlab\.com|bitbucket\.org|ssh\.dev\.azure\.com)")
_CONFIG_MGMT = re.compile(
    r"\b(?:ansible-playbook|chef-client|knife\s+(?:ssh|bootstrap)|puppet\s+(?:apply|agent)|salt-ssh|salt-call)\b"
)
_MUTATES = re.compile(  # a remote command that changes the host, or a copy onto it
    r"\b(?:apt-get|apt|yum|dnf|apk|zypper|pip3?|npm|gem)\s+(?:-\S+\s+)*(?:install|upgrade|add|update)\b"
    r"|\bgit\s+pull\b|\bsystemctl\s+(?:re)?start\b|\bservice\s+\S+\s+(?:re)?start\b"
    r"|(?<![\w-])(?:scp|rsync)(?![\w-])|uses:"
)


def _is_comment(text: str) -> bool:
    return text.lstrip().startswith(("#", "//", "REM "))


def remote_access(repo: Repo) -> list[GrepHit]:
    """Lines of CI and scripts that open a shell on, or copy files to, another host."""
    hits: list[GrepHit] = []
    for hit in repo.grep(_REMOTE, operator_files(repo)):
        if _is_comment(hit.text) or _GIT_HOST.search(hit.text) or not _TARGET.search(hit.text):
            continue
        hits.append(hit)
    return hits


def in_place_changes(repo: Repo) -> list[str]:
    """Evidence of servers changed in place: configuration management runs, remote installs and copies."""
    found = [
        (hit.path, hit.line, f"runs configuration management ({hit.text.strip()[:80]})")
        for hit in repo.grep(_CONFIG_MGMT, operator_files(repo))
        if not _is_comment(hit.text)
    ]
    found += [
        (hit.path, hit.line, f"changes a host over SSH ({hit.text.strip()[:80]})")
        for hit in remote_access(repo)
        if _MUTATES.search(hit.text)
    ]
    return [f"{path}:{line}: {what}" for path, line, what in sorted(found)]


def evaluate_immutable_infrastructure(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    images: list[BaseImage] = []
    for path in inv.dockerfiles:
        images += base_images(path, ctx.repo.read_text(path) or "")
    findings: list[Finding] = []
    evidence: list[str] = []
    for image in images:
        if image.pin in ("latest", "untagged"):
            text = (ctx.repo.read_text(image.path) or "").splitlines()[image.line - 1]
            findings.append(_unpinned_finding(image, text))
            evidence.append(f"{image.path}:{image.line}: base image '{image.image}' is {image.pin}")
        elif image.pin == "variable":
            evidence.append(f"{image.path}:{image.line}: base image '{image.image}' is set at build time")
    mutations = in_place_changes(ctx.repo)
    if mutations:
        return ctx.result(
            Status.FAIL,
            "servers are changed in place from CI or scripts",
            (mutations + evidence)[:MAX_EVIDENCE],
            findings,
        )
    if not inv.deployable:
        return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE, findings=findings)
    pinned = [i for i in images if i.pin in ("digest", "tag")]
    if pinned:
        evidence.append(f"pinned base images: {preview(sorted({i.image for i in pinned}))}")
    evidence += [f"{kind}: {preview(files)}" for kind, files in inv.iac]
    if inv.playbooks:
        evidence.append(f"Ansible playbooks kept here: {preview(inv.playbooks)}")
    if not inv.dockerfiles and not inv.iac:
        summary = "the repository deploys, but neither images nor infrastructure are defined as code"
        return ctx.result(Status.FAIL, summary, inv.deployable_evidence())
    problems = []
    if findings:
        problems.append(f"{len(findings)} base image(s) not pinned")
    if not inv.iac:
        problems.append("images are built from code but the infrastructure is not")
    if inv.playbooks:
        problems.append("Ansible playbooks suggest servers configured in place")
    if problems:
        return ctx.result(Status.PARTIAL, "; ".join(problems), evidence[:MAX_EVIDENCE], findings)
    summary = "images come from pinned bases and the infrastructure is code"
    return ctx.result(Status.PASS, summary, evidence[:MAX_EVIDENCE], findings)


# -- who reaches production ----------------------------------------------------------------------


def evaluate_no_humans_in_production(ctx: Context) -> PracticeResult:
    hits = remote_access(ctx.repo)
    if hits:
        evidence = [f"{hit.path}:{hit.line}: {hit.text.strip()[:100]}" for hit in hits[:MAX_EVIDENCE]]
        return ctx.result(
            Status.FAIL,
            f"{len(hits)} place(s) reach hosts over SSH: keys to production shells exist",
            evidence,
        )
    inv = inventory(ctx.repo)
    if not inv.deployable:
        return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE)
    read = len(operator_files(ctx.repo))
    return ctx.unknown(
        "who logs in to production is recorded by cloud IAM and audit logs, which secloop cannot read yet",
        [f"no ssh/scp/rsync to hosts in {read} CI files and scripts"],
    )


def evaluate_production_scanning(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    scanners = [job for job in inv.jobs if job.scan_tool]
    scheduled = [job for job in scanners if SCHEDULE in job.triggers]
    if scheduled:
        evidence = [
            f"{job.where}: job '{job.name}' runs `{job.scan_tool}` on a schedule" for job in scheduled
        ]
        summary = f"job '{scheduled[0].name}' scans on a schedule"
        return ctx.result(Status.PASS, summary, evidence[:MAX_EVIDENCE], skipped=inv.ci_skipped)
    if not inv.deployable:
        return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE, skipped=inv.ci_skipped)
    evidence = [
        f"{job.where}: job '{job.name}' runs `{job.scan_tool}` only on {job.describe_triggers()}"
        for job in scanners
    ]
    if not evidence:
        evidence.append(f"no scanner in {len(inv.ci_files)} CI files")
    return ctx.result(
        Status.FAIL,
        "no scheduled scan of what runs in production",
        evidence[:MAX_EVIDENCE],
        skipped=inv.ci_skipped,
    )


EVALUATORS: dict[str, Evaluator] = {
    "operate.immutable-infrastructure": evaluate_immutable_infrastructure,
    "operate.no-humans-in-production": evaluate_no_humans_in_production,
    "operate.production-scanning": evaluate_production_scanning,
}
