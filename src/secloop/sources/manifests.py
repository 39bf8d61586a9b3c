"""Deployment artefacts of a repository: manifests, infrastructure as code, images, CI jobs, app code.

Read once per `Repo` and cached. "Nothing deployable" (a library) is decided here, once, and every
deploy/release/operate/monitor evaluator reuses it. A malformed YAML file becomes a `Skipped`.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from secloop.core.model import Skipped
from secloop.sources.delivery_jobs import CiJob, ci_files, read_ci
from secloop.sources.repo import Repo
from secloop.sources.yaml_lines import YamlMap, load_yaml

# -- Kubernetes objects and Helm templates -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class YamlDoc:
    path: str
    index: int
    data: Any

    @property
    def line(self) -> int:
        return self.data.line if isinstance(self.data, YamlMap) else 1


@dataclass(frozen=True, slots=True)
class KubeObject:
    path: str
    api_version: str
    kind: str
    name: str
    body: YamlMap

    @property
    def line(self) -> int:
        return self.body.line

    def spec(self) -> YamlMap:
        spec = self.body.get("spec")
        return spec if isinstance(spec, YamlMap) else YamlMap(self.body.line)


_HELM_ACTION = re.compile(r"\{\{-?.*?-?\}\}")
_HELM_LINE = re.compile(r"^\s*\{\{-?.*-?\}\}\s*$")


def helm_untemplate(text: str) -> str:
    """Best-effort YAML out of a Helm template: drop control lines, replace inline actions."""
    lines = (
        "" if _HELM_LINE.match(line) else _HELM_ACTION.sub("templated", line) for line in text.split("\n")
    )
    return "\n".join(lines)


# -- the inventory -------------------------------------------------------------------------------

_VENDORED = re.compile(r"(^|/)(node_modules|vendor|third_party|\.venv|venv|\.tox)/")
_YAML_CANDIDATE = re.compile(r"(?m)^\s*(?:-\s+)?(apiVersion|kind|groups|alert|receivers|hosts)\s*:")
_DOCKERFILE = re.compile(r"(^|/)((docker|container)file(\.[^/]*)?|[^/]+\.(docker|container)file)$", re.I)
_IAC_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Terraform/OpenTofu", re.compile(r"\.(tf|tofu|tf\.json)$|(^|/)terragrunt\.hcl$")),
    ("Pulumi", re.compile(r"(^|/)Pulumi\.ya?ml$")),
    ("AWS CDK", re.compile(r"(^|/)cdk\.json$")),
    ("Bicep", re.compile(r"\.bicep$")),
    ("Serverless Framework", re.compile(r"(^|/)serverless\.(ya?ml|ts|js|json)$")),
    ("Nomad", re.compile(r"\.nomad(\.hcl)?$")),
    ("Helm", re.compile(r"(^|/)Chart\.ya?ml$")),
    ("Kustomize", re.compile(r"(^|/)(kustomization\.ya?ml|Kustomization)$")),
    ("docker-compose", re.compile(r"(^|/)(docker-)?compose([.-][^/]*)?\.ya?ml$")),
)
_CLOUDFORMATION = re.compile(
    r"AWSTemplateFormatVersion|AWS::Serverless-|^\s*\"?Type\"?\s*:\s*\"?AWS::\w+::", re.M
)
_PLATFORM = re.compile(
    r"^(Procfile|fly\.toml|render\.ya?ml|vercel\.json|netlify\.toml|railway\.(json|toml)|wrangler\.toml"
    r"|heroku\.yml|appspec\.(ya?ml|json)|skaffold\.ya?ml|Dockerrun\.aws\.json|\.platform\.app\.yaml)$"
)
_NOTHING = (
    "no Dockerfile, infrastructure as code, Kubernetes/Helm/compose manifest, platform config "
    "(Procfile, fly.toml, ...) or deploy job in CI"
)
NOTHING_DEPLOYABLE = f"a library with nothing deployable: {_NOTHING}"
MAX_EVIDENCE = 8  # evidence lines per practice result


@dataclass(frozen=True)
class Inventory:
    dockerfiles: tuple[str, ...]
    iac: tuple[tuple[str, tuple[str, ...]], ...]  # (kind, files) for every kind found
    platform: tuple[str, ...]
    yaml_docs: tuple[YamlDoc, ...]
    kube: tuple[KubeObject, ...]
    jobs: tuple[CiJob, ...]
    ci_files: tuple[str, ...]
    manifest_skipped: tuple[Skipped, ...] = ()
    ci_skipped: tuple[Skipped, ...] = ()
    playbooks: tuple[str, ...] = field(default=())

    @property
    def deploy_jobs(self) -> tuple[CiJob, ...]:
        return tuple(job for job in self.jobs if job.deploys)

    @property
    def deployable(self) -> bool:
        return bool(self.dockerfiles or self.iac or self.platform or self.deploy_jobs)

    def deployable_evidence(self) -> list[str]:
        """What makes the repository deployable, one line per kind."""
        lines = [f"{kind}: {preview(files)}" for kind, files in self.iac]
        if self.dockerfiles:
            lines.append(f"Dockerfile: {preview(self.dockerfiles)}")
        if self.platform:
            lines.append(f"platform config: {preview(self.platform)}")
        lines += [f"{job.where}: job '{job.name}' deploys" for job in self.deploy_jobs[:3]]
        return lines


def preview(items: Iterable[str], limit: int = 3) -> str:
    items = list(items)
    head = ", ".join(items[:limit])
    return head + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _kube_objects(doc: YamlDoc) -> Iterator[KubeObject]:
    data = doc.data
    if not isinstance(data, YamlMap):
        return
    api, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        return
    if kind == "List" and isinstance(data.get("items"), list):
        for item in data["items"]:
            yield from _kube_objects(YamlDoc(doc.path, doc.index, item))
        return
    meta = data.get("metadata")
    name = str(meta.get("name", "")) if isinstance(meta, dict) else ""
    yield KubeObject(doc.path, api, kind, name, data)


def _is_playbook(data: Any) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(p, dict) and "hosts" in p and ("tasks" in p or "roles" in p) for p in data)
    )


def _under_helm_templates(path: str, charts: set[str]) -> bool:
    parts = path.split("/")
    return "templates" in parts and "/".join(parts[: parts.index("templates")]) in charts


# Deliberately bad examples kept for tests describe no environment of the project's own.
_FIXTURES = re.compile(r"(^|/)(tests?|testdata|fixtures?|examples?)/")


def _build(repo: Repo) -> Inventory:
    files = [f for f in repo.files() if not _VENDORED.search(f) and not _FIXTURES.search(f)]
    ci = ci_files(files)
    iac: list[tuple[str, tuple[str, ...]]] = []
    for kind, rx in _IAC_KINDS:
        found = tuple(f for f in files if rx.search(f))
        if found:
            iac.append((kind, found))
    cfn = tuple(
        f
        for f in files
        if re.search(r"\.(ya?ml|json|template)$", f)
        and f not in ci
        and _CLOUDFORMATION.search(repo.read_text(f) or "")
    )
    charts = {f.rsplit("/", 1)[0] if "/" in f else "" for f in files if re.search(r"(^|/)Chart\.ya?ml$", f)}
    docs: list[YamlDoc] = []
    skipped: list[Skipped] = []
    for rel in files:
        if not re.search(r"\.(ya?ml|rules)$", rel) or rel in ci or rel.startswith(".github/"):
            continue
        text = repo.read_text(rel)
        if text is None or not _YAML_CANDIDATE.search(text) or re.search(r"(^|/)[^/]*lock\.ya?ml$", rel):
            continue
        if "{{" in text and _under_helm_templates(rel, charts):
            text = helm_untemplate(text)
        parsed, skip = load_yaml(text, rel)
        if skip:
            skipped.append(skip)
        docs += [YamlDoc(rel, i, d) for i, d in enumerate(parsed) if d is not None]
    kube = tuple(obj for doc in docs for obj in _kube_objects(doc))
    manifests = sorted({obj.path for obj in kube if "/templates/" not in f"/{obj.path}"})
    if cfn:
        iac.append(("CloudFormation/SAM", cfn))
    if manifests:
        iac.append(("Kubernetes manifests", tuple(manifests)))
    jobs, ci_skipped = read_ci(repo, ci)
    return Inventory(
        dockerfiles=tuple(f for f in files if _DOCKERFILE.search(f)),
        iac=tuple(iac),
        platform=tuple(f for f in files if _PLATFORM.match(f.rsplit("/", 1)[-1])),
        yaml_docs=tuple(docs),
        kube=kube,
        jobs=tuple(jobs),
        ci_files=tuple(ci),
        manifest_skipped=tuple(skipped),
        ci_skipped=tuple(ci_skipped),
        playbooks=tuple(sorted({d.path for d in docs if _is_playbook(d.data)})),
    )


_CACHE: weakref.WeakKeyDictionary[Repo, Inventory] = weakref.WeakKeyDictionary()


def inventory(repo: Repo) -> Inventory:
    """The deployment artefacts of ``repo``, read once per Repo."""
    found = _CACHE.get(repo)
    if found is None:
        found = _CACHE[repo] = _build(repo)
    return found


# -- application code and the SDKs it uses -------------------------------------------------------

_CODE_EXT = re.compile(r"\.(py|js|jsx|mjs|cjs|ts|tsx|go|java|kt|kts|scala|rb|php|cs|rs|ex|exs|swift|clj)$")
_NOT_APP = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs|testdata|test_data|fixtures|examples?|samples?|docs?|scripts"
    r"|bench(marks?)?|\.github|migrations)/|(^|/)(test_[^/]*|[^/]*_test\.\w+|[^/]*\.(test|spec)\.\w+"
    r"|conftest\.py|setup\.py|noxfile\.py|[^/]*\.config\.[cm]?[jt]s|\.[^/]*rc\.[cm]?js)$"
)
_DEP_FILE = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|pyproject\.toml|setup\.cfg|setup\.py|Pipfile|package\.json|go\.mod"
    r"|Gemfile|pom\.xml|build\.gradle(\.kts)?|Cargo\.toml|composer\.json|[^/]*\.csproj|mix\.exs"
    r"|packages\.config|deps\.edn|project\.clj)$"
)
_SERVICE_DEP = re.compile(
    r"\b(flask|django|fastapi|starlette|aiohttp|tornado|sanic|litestar|express|koa|fastify|@nestjs/core"
    r"|@hapi/hapi|spring-boot|rails|sinatra|gin-gonic/gin|labstack/echo|gofiber/fiber|go-chi/chi"
    r"|gorilla/mux|actix-web|axum|laravel/framework|symfony/framework-bundle|phoenix)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AppCode:
    sources: tuple[str, ...]
    dependency_files: tuple[str, ...]
    service_markers: tuple[str, ...]  # "path:line: text" of web/service framework dependencies
    deployable: bool

    @property
    def is_app(self) -> bool:
        return bool(self.sources) and (self.deployable or bool(self.service_markers))

    def not_app_reason(self) -> str:
        if not self.sources:
            return "no application source code outside tests, docs and scripts"
        return f"a library, not a running application: {_NOTHING}, and no web/service framework dependency"

    def app_evidence(self) -> str:
        why = "deployable" if self.deployable else f"service framework ({self.service_markers[0]})"
        return f"application code: {len(self.sources)} source files ({why})"


_APP_CACHE: weakref.WeakKeyDictionary[Repo, AppCode] = weakref.WeakKeyDictionary()


def app_code(repo: Repo) -> AppCode:
    """The application code of ``repo``, decided once per Repo."""
    found = _APP_CACHE.get(repo)
    if found is None:
        found = _APP_CACHE[repo] = _app_code(repo)
    return found


def _app_code(repo: Repo) -> AppCode:
    files = [f for f in repo.files() if not _VENDORED.search(f)]
    sources = tuple(f for f in files if _CODE_EXT.search(f) and not _NOT_APP.search(f))
    deps = tuple(f for f in files if _DEP_FILE.search(f))
    markers = tuple(f"{h.path}:{h.line}: {h.text.strip()[:60]}" for h in repo.grep(_SERVICE_DEP, deps))
    return AppCode(sources, deps, markers, inventory(repo).deployable)


@dataclass(frozen=True, slots=True)
class Sdk:
    name: str
    dependency: str  # regex over one line of a dependency manifest; use (?i:...) for case
    code: str  # regex over one line of application source
    imports_only: bool = True  # a code line counts only when it imports (names in data or prose do not)


@dataclass(frozen=True, slots=True)
class SdkHit:
    sdk: str
    path: str
    line: int
    text: str
    in_code: bool

    def __str__(self) -> str:
        where = "uses" if self.in_code else "depends on"
        return f"{self.path}:{self.line}: {where} {self.sdk} ({self.text.strip()[:80]})"


IMPORT_LINE = re.compile(
    r"^\s*(?:import|from|using|use|require|require_once|include|alias|extern\s+crate)\b|^\s*\}\s*from\b"
    r"|\b(?:require|import)\s*\(|^\s*(?:\w+\s+)?\"[\w.-]+(?:/[\w.-]+)+\"\s*$"
)
COMMENT_LINE = re.compile(r"^\s*(?:#|//|/?\*|<!--|--\s|\"\"\"|\'\'\')")


def find_sdks(repo: Repo, app: AppCode, sdks: Iterable[Sdk]) -> list[SdkHit]:
    """Where each SDK shows up: imports (or calls) in application code, and dependency declarations."""
    table = list(sdks)
    hits: list[SdkHit] = []
    for files, in_code in ((app.sources, True), (app.dependency_files, False)):
        patterns = [(sdk, re.compile(sdk.code if in_code else sdk.dependency)) for sdk in table]
        combined = re.compile("|".join(f"(?:{rx.pattern})" for _, rx in patterns), re.MULTILINE)
        for hit in repo.grep(combined, files):
            if COMMENT_LINE.match(hit.text):
                continue
            for sdk, rx in patterns:
                if not rx.search(hit.text):
                    continue
                if in_code and sdk.imports_only and not IMPORT_LINE.search(hit.text):
                    continue
                hits.append(SdkHit(sdk.name, hit.path, hit.line, hit.text, in_code))
                break
    return hits


def sdk_evidence(hits: list[SdkHit]) -> list[str]:
    """Code hits first, one line per file, at most MAX_EVIDENCE lines."""
    ordered = sorted(hits, key=lambda h: (not h.in_code, h.path, h.line))
    seen: set[str] = set()
    lines: list[str] = []
    for hit in ordered:
        if hit.path not in seen:
            seen.add(hit.path)
            lines.append(str(hit))
    return lines[:MAX_EVIDENCE]


def sdk_names(hits: list[SdkHit]) -> str:
    return ", ".join(sorted({hit.sdk for hit in hits}))


# -- scripts, for what CI and operators run by hand ----------------------------------------------

_SCRIPT = re.compile(
    r"\.(sh|bash|zsh|ps1|mk)$|(^|/)(Makefile|GNUmakefile|[Jj]ustfile|Taskfile\.ya?ml|fabfile\.py|Capfile)$"
)


def operator_files(repo: Repo) -> list[str]:
    """CI definitions and shell/make scripts: where deployments by hand or over SSH show up."""
    inv = inventory(repo)
    scripts = [f for f in repo.files() if _SCRIPT.search(f) and not _VENDORED.search(f)]
    return sorted(set(inv.ci_files) | {f for f in scripts if not re.search(r"(^|/)(tests?|spec)/", f)})
