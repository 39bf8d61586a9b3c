"""CI jobs as delivery sees them: which job deploys or publishes, and what starts it.

Job-level on purpose (a job's `environment:`, `workflow_dispatch`, tag pushes, GitLab `when: manual`),
which the step-level CI source (`secloop.sources.ci`) does not model. Platforms other than GitHub
Actions and GitLab CI are read as text: one pseudo-job per file whose trigger is unknown.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from secloop.core.model import Skipped
from secloop.sources.repo import Repo
from secloop.sources.yaml_lines import YamlMap, load_yaml

MAIN, TAGS, RELEASE, MANUAL, SCHEDULE = "main", "tags", "release", "manual", "schedule"
PULL_REQUEST, CALLED, OTHER, UNKNOWN = "pull-request", "called", "other", "unknown"
_MAIN_BRANCHES = ("main", "master", "trunk")
_TRIGGER_WORDS = {
    MAIN: "push to main",
    TAGS: "tag push",
    RELEASE: "published release",
    MANUAL: "manual run",
    SCHEDULE: "schedule",
    PULL_REQUEST: "pull request",
    CALLED: "call from another workflow",
    OTHER: "other event",
    UNKNOWN: "trigger configured outside the file",
}


def _words(*alternatives: str) -> re.Pattern[str]:
    """Alternatives where a space is blanks within one line and " ~ " is any words in between."""
    blank, words = r"[ \t]+", r"[ \t]+(?:\S+[ \t]+)*?"
    body = "|".join(a.replace(" ~ ", "\0").replace(" ", blank).replace("\0", words) for a in alternatives)
    return re.compile(body, re.MULTILINE | re.IGNORECASE)


_DEPLOY_CMD = _words(
    r"\bkubectl ~ (?:apply|create|replace|rollout|set image|patch)\b",
    r"\bhelm(?:file)? ~ (?:upgrade|install|sync|apply)\b",
    r"\b(?:terraform|tofu|terragrunt) ~ apply\b",
    r"\bpulumi up\b",
    r"\baws (?:deploy|ecs update-service|cloudformation deploy|elasticbeanstalk)\b",
    r"\baws lambda update-function-code\b",
    r"\bgcloud ~ deploy\b",
    r"\bargocd app sync\b",
    r"\b(?:sam|cdk|serverless|sls|flyctl|fly|netlify|vercel|railway|skaffold|kamal|copilot|cap)"
    r"(?: \S+)? deploy\b",
    r"\bvercel --prod\b",
    r"\bwrangler (?:deploy|publish)\b",
    r"\baz (?:webapp|functionapp|containerapp|deployment)\b",
    r"\bdocker stack deploy\b",
    r"\bheroku container:release\b",
    r"\bgit push heroku\b",
    r"^uses:\s*(?:[\w.-]+/[\w./-]*deploy|superfly/flyctl-actions|serverless/github-action"
    r"|cloudflare/wrangler-action|appleboy/(?:ssh|scp)-action|burnett01/rsync-deployments)",
)
_PAGES = re.compile(r"deploy-pages|gh-pages|github-pages|^pages$", re.IGNORECASE | re.MULTILINE)
_PUBLISH_CMD = _words(
    r"\bnpm publish\b",
    r"\b(?:yarn|pnpm)(?: npm)? publish\b",
    r"\btwine upload\b",
    r"\b(?:uv|poetry|flit|hatch|pdm|cargo) publish\b",
    r"\bgem push\b",
    r"\bdocker(?: image)? push\b",
    r"\bgoreleaser\b",
    r"\bmvn ~ deploy\b",
    r"\bgradlew? ~ publish",
    r"\bgh release create\b",
    r"\bsemantic-release\b",
    r"\bnuget push\b",
    r"\bchangeset publish\b",
    r"^uses:\s*(?:pypa/gh-action-pypi-publish|softprops/action-gh-release|docker/build-push-action"
    r"|goreleaser/goreleaser-action|changesets/action|ncipollo/release-action|rubygems/release-gem"
    r"|(?:google-github-actions|googleapis)/release-please-action|actions/create-release)",
)
_SCAN_CMD = _words(
    r"\btrivy ~ (?:image|fs|filesystem|repo|repository|k8s|kubernetes|rootfs|sbom|vm)\b",
    r"\bgrype\b",
    r"\bzap-(?:baseline|full-scan|api-scan)",
    r"\bzaproxy\b",
    r"\bnuclei\b",
    r"\bosv-scanner\b",
    r"\bsecloop (?:assess|scan)\b",
    r"\bsnyk (?:test|monitor|container)\b",
    r"\bdocker scout\b",
    r"\bdependency-check\b",
    r"\bkubescape\b",
    r"\bprowler\b",
    r"^uses:\s*(?:aquasecurity/trivy-action|anchore/scan-action|zaproxy/action-|projectdiscovery/nuclei-action"
    r"|google/osv-scanner-action|snyk/actions|docker/scout-action|dependency-check/)",
)


@dataclass(frozen=True, slots=True)
class CiJob:
    """One CI job (or, for CI systems read only as text, one whole file)."""

    path: str
    name: str
    line: int
    platform: str  # github | gitlab | other
    triggers: frozenset[str]
    environment: str | None
    commands: tuple[str, ...]

    def _match(self, rx: re.Pattern[str], unless: re.Pattern[str] | None = None) -> str | None:
        for command in self.commands:
            found = rx.search(command)
            if found and not (unless and unless.search(command)):
                return " ".join(found.group(0).split())
        return None

    @property
    def deploy_tool(self) -> str | None:
        """The first deploy command; GitHub Pages publishing is documentation, not a deployment."""
        return self._match(_DEPLOY_CMD, unless=_PAGES)

    @property
    def publish_tool(self) -> str | None:
        return self._match(_PUBLISH_CMD)

    @property
    def scan_tool(self) -> str | None:
        return self._match(_SCAN_CMD)

    @property
    def deploys(self) -> bool:
        """Deploy tooling, or an `environment:` that is neither a package registry nor GitHub Pages."""
        if self.deploy_tool:
            return True
        env = self.environment
        if env is None or _PAGES.search(env) or _PAGES.search(self.name):
            return False
        return not self.publish_tool and not re.search(r"pypi|npm|registry|crates|rubygems", env, re.I)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def describe_triggers(self) -> str:
        words = [_TRIGGER_WORDS[t] for t in sorted(self.triggers)]
        return ", ".join(words) or "no trigger"


def _branch_matches_main(patterns: Any) -> bool:
    items = [patterns] if isinstance(patterns, str) else patterns if isinstance(patterns, list) else []
    hit = False
    for pattern in (str(p) for p in items):
        negated = pattern.startswith("!")
        if any(fnmatch.fnmatchcase(b, pattern.lstrip("!")) for b in _MAIN_BRANCHES):
            hit = not negated
    return hit


def _gh_events(on: Any) -> dict[str, Any]:
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(e): None for e in on}
    if isinstance(on, dict):
        return {str(k): v for k, v in on.items()}
    return {}


def github_triggers(on: Any) -> frozenset[str]:
    result: set[str] = set()
    for event, cfg in _gh_events(on).items():
        conf = cfg if isinstance(cfg, dict) else {}
        if event == "push":
            branches, ignore = conf.get("branches"), conf.get("branches-ignore")
            has_tags = "tags" in conf or "tags-ignore" in conf
            if has_tags:
                result.add(TAGS)
            if branches is not None:
                if _branch_matches_main(branches):
                    result.add(MAIN)
            elif ignore is not None:
                if not _branch_matches_main(ignore):
                    result.add(MAIN)
            elif not has_tags:  # an unfiltered push runs for every branch and every tag
                result |= {MAIN, TAGS}
        elif event == "workflow_run":
            branches = conf.get("branches")
            if branches is None or _branch_matches_main(branches):
                result.add(MAIN)
        else:
            result.add(
                {
                    "release": RELEASE,
                    "workflow_dispatch": MANUAL,
                    "schedule": SCHEDULE,
                    "pull_request": PULL_REQUEST,
                    "pull_request_target": PULL_REQUEST,
                    "workflow_call": CALLED,
                }.get(event, OTHER)
            )
    return frozenset(result)


def _job_if(triggers: frozenset[str], condition: Any) -> frozenset[str]:
    """Narrow a workflow's triggers by the common job-level conditions."""
    text = str(condition or "")
    if "refs/tags" in text and "!startsWith" not in text.replace(" ", ""):
        return triggers & {TAGS, RELEASE, MANUAL} or frozenset({TAGS})
    if re.search(r"event_name\s*==\s*'workflow_dispatch'", text):
        return frozenset({MANUAL})
    if re.search(r"event_name\s*==\s*'schedule'", text):
        return frozenset({SCHEDULE})
    return triggers


def _gh_step_commands(steps: Any) -> list[str]:
    commands: list[str] = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("run"), str):
            commands.append(step["run"])
        if isinstance(step.get("uses"), str):
            commands.append(f"uses: {step['uses']}")
        with_ = step.get("with")
        if isinstance(with_, dict):
            commands.extend(str(v) for v in with_.values() if isinstance(v, str))
    return commands


def _environment(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value is not None else None


def _github_jobs(path: str, data: Any) -> list[CiJob]:
    if not isinstance(data, YamlMap):
        return []
    on = data.get("on", data.get(True))
    triggers = github_triggers(on)
    jobs = data.get("jobs")
    if not isinstance(jobs, YamlMap):
        return []
    result: list[CiJob] = []
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        commands = _gh_step_commands(job.get("steps"))
        if isinstance(job.get("uses"), str):
            commands.append(f"uses: {job['uses']}")
        result.append(
            CiJob(
                path=path,
                name=str(name),
                line=jobs.line_of(name),
                platform="github",
                triggers=_job_if(triggers, job.get("if")),
                environment=_environment(job.get("environment")),
                commands=tuple(commands),
            )
        )
    return result


def _inherit_callers(jobs: list[CiJob]) -> list[CiJob]:
    """Jobs of a reusable workflow (on: workflow_call) run when their callers run."""
    callers: dict[str, set[str]] = {}
    for job in jobs:
        for command in job.commands:
            found = re.match(r"uses: \./(\.github/workflows/[^@\s]+)", command)
            if found:
                callers.setdefault(found.group(1), set()).update(job.triggers)
    out: list[CiJob] = []
    for job in jobs:
        inherited = callers.get(job.path)
        if inherited and CALLED in job.triggers:
            job = replace(job, triggers=frozenset((job.triggers - {CALLED}) | inherited))
        out.append(job)
    return out


_GITLAB_RESERVED = frozenset(
    {"stages", "variables", "default", "include", "workflow", "image", "services", "before_script"}
    | {"after_script", "cache", "types"}
)


def _gitlab_script(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _gitlab_script(item)


def gitlab_triggers(job: dict[Any, Any]) -> frozenset[str]:
    if job.get("when") == "manual":
        return frozenset({MANUAL})
    result: set[str] = set()
    rules = job.get("rules")
    if isinstance(rules, list) and rules:
        for rule in rules:
            if not isinstance(rule, dict) or rule.get("when") == "never":
                continue
            cond = str(rule.get("if", "")).lower()
            if rule.get("when") == "manual":
                result.add(MANUAL)
            elif "ci_commit_tag" in cond:
                result.add(TAGS)
            elif "schedule" in cond:
                result.add(SCHEDULE)
            elif "merge_request" in cond:
                result.add(PULL_REQUEST)
            else:
                result.add(MAIN)
        return frozenset(result)
    only = job.get("only")
    refs = only.get("refs") if isinstance(only, dict) else only
    if isinstance(refs, str):
        refs = [refs]
    if isinstance(refs, list) and refs:
        for ref in (str(r) for r in refs):
            mapping = {"tags": TAGS, "schedules": SCHEDULE, "web": MANUAL, "merge_requests": PULL_REQUEST}
            result.add(mapping.get(ref, MAIN if ref in (*_MAIN_BRANCHES, "branches", "pushes") else OTHER))
        return frozenset(result)
    return frozenset({MAIN})


def _gitlab_jobs(path: str, data: Any) -> list[CiJob]:
    if not isinstance(data, YamlMap):
        return []
    result: list[CiJob] = []
    for name, job in data.items():
        if name in _GITLAB_RESERVED or str(name).startswith(".") or not isinstance(job, dict):
            continue
        commands = [
            cmd for key in ("before_script", "script", "after_script") for cmd in _gitlab_script(job.get(key))
        ]
        if isinstance(job.get("trigger"), str | dict):
            commands.append(f"trigger: {job['trigger']}")
        result.append(
            CiJob(
                path,
                str(name),
                data.line_of(name),
                "gitlab",
                gitlab_triggers(job),
                _environment(job.get("environment")),
                tuple(commands),
            )
        )
    return result


_OTHER_CI = re.compile(
    r"(^|/)Jenkinsfile[^/]*$|^\.circleci/config\.ya?ml$|(^|/)azure-pipelines[^/]*\.ya?ml$|^\.azure-pipelines/"
    r"|^bitbucket-pipelines\.yml$|^\.drone\.ya?ml$|^\.travis\.yml$|^\.buildkite/[^/]*\.ya?ml$"
    r"|(^|/)cloudbuild\.ya?ml$|(^|/)buildspec\.ya?ml$|^\.woodpecker(\.ya?ml$|/)"
)


_CI_FILE = re.compile(r"\.github/workflows/[^/]+\.ya?ml$|^(\.gitlab/ci/[^/]+|([^/]*\.)?gitlab-ci)\.ya?ml$")


def ci_files(files: list[str]) -> list[str]:
    return [f for f in files if _CI_FILE.match(f) or _OTHER_CI.search(f)]


def read_ci(repo: Repo, files: list[str]) -> tuple[list[CiJob], list[Skipped]]:
    jobs: list[CiJob] = []
    skipped: list[Skipped] = []
    for rel in files:
        text = repo.read_text(rel)
        if text is None:
            continue
        if _OTHER_CI.search(rel):
            jobs.append(CiJob(rel, rel.rsplit("/", 1)[-1], 1, "other", frozenset({UNKNOWN}), None, (text,)))
            continue
        docs, skip = load_yaml(text, rel)
        if skip:
            skipped.append(skip)
        for data in docs:
            jobs += _github_jobs(rel, data) if rel.startswith(".github/") else _gitlab_jobs(rel, data)
    return _inherit_callers(jobs), skipped
