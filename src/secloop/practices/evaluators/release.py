"""Evaluators of the release stage: release on demand, blue/green, canary, A/B testing."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.sources.delivery_jobs import MAIN, MANUAL, RELEASE, TAGS, CiJob
from secloop.sources.manifests import (
    MAX_EVIDENCE,
    NOTHING_DEPLOYABLE,
    Inventory,
    KubeObject,
    Sdk,
    app_code,
    find_sdks,
    inventory,
    sdk_evidence,
    sdk_names,
)
from secloop.sources.repo import Repo
from secloop.sources.yaml_lines import YamlMap, get_map

RULES: tuple[Rule, ...] = ()

# -- release on demand ---------------------------------------------------------------------------

_RELEASE_TOOLING = (
    r"(^|/)(\.goreleaser\.ya?ml|release-please-config\.json|\.releaserc(\.\w+)?|\.changeset/config\.json)$"
)


def _release_tags(repo: Repo, pattern: str) -> tuple[str, int]:
    if not repo.is_git:
        return "not a git repository: release tags could not be read", 0
    tags = [tag for tag in repo.tags() if fnmatch.fnmatch(tag.name, pattern)]
    if not tags:
        return f"git: no tag matches release_tag_pattern '{pattern}'", 0
    latest = tags[-1]
    return f"git: {len(tags)} tags match '{pattern}' (latest {latest.name}, {latest.date:%Y-%m-%d})", len(
        tags
    )


def _describe_release(job: CiJob) -> str:
    tool = job.deploy_tool or job.publish_tool
    how = f"runs `{tool}`" if tool else f"deploys to environment '{job.environment}'"
    return f"{job.where}: job '{job.name}' {how}, started by {job.describe_triggers()}"


def evaluate_on_demand(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    jobs = [
        job
        for job in inv.jobs
        if (job.deploys or job.publish_tool) and job.triggers & {TAGS, RELEASE, MANUAL, MAIN}
    ]
    tag_line, tag_count = _release_tags(ctx.repo, ctx.config.release_tag_pattern)
    tooling = [f"{path}: release tooling configured" for path in ctx.repo.find(_RELEASE_TOOLING)]
    evidence = [_describe_release(job) for job in jobs[:MAX_EVIDENCE]] + [tag_line, *tooling]
    if jobs:
        summary = f"job '{jobs[0].name}' releases on {jobs[0].describe_triggers()}"
        return ctx.result(Status.PASS, summary, evidence, skipped=inv.ci_skipped)
    if tag_count or tooling:
        return ctx.result(
            Status.PARTIAL,
            "releases are tagged or tooled, but no CI job publishes or deploys them",
            evidence,
            skipped=inv.ci_skipped,
        )
    if not inv.deployable and not app_code(ctx.repo).sources and not inv.jobs:
        return ctx.result(Status.NOT_APPLICABLE, "nothing to release: no source code and nothing deployable")
    return ctx.result(
        Status.FAIL,
        "no CI job publishes or deploys a release, and no release tags",
        evidence,
        skipped=inv.ci_skipped,
    )


# -- progressive delivery resources --------------------------------------------------------------


def _argo_strategy(obj: KubeObject) -> YamlMap | None:
    if obj.kind != "Rollout" or not obj.api_version.startswith("argoproj.io/"):
        return None
    return get_map(obj.body, "spec", "strategy")


@dataclass(frozen=True, slots=True)
class FlaggerStyle:
    style: str  # blue-green | ab-testing | canary
    analysis: YamlMap | None
    line: int  # the key that decided the style


def flagger_style(obj: KubeObject) -> FlaggerStyle | None:
    """How a Flagger Canary releases: blue/green (iterations), A/B (match) or canary (step weights)."""
    if obj.kind != "Canary" or not obj.api_version.startswith("flagger.app/"):
        return None
    spec = obj.spec()
    analysis = get_map(spec, "analysis") or get_map(spec, "canaryAnalysis")
    holder = spec if "strategy" in spec else analysis
    if holder is not None and str(holder.get("strategy", "")).lower().replace("/", "-") in (
        "blue-green",
        "bluegreen",
    ):
        return FlaggerStyle("blue-green", analysis, holder.line_of("strategy"))
    if analysis is None:
        return FlaggerStyle("canary", None, obj.line)
    for key, style in (("stepWeight", "canary"), ("stepWeights", "canary"), ("maxWeight", "canary")):
        if key in analysis:
            return FlaggerStyle(style, analysis, analysis.line_of(key))
    if "match" in analysis:
        return FlaggerStyle("ab-testing", analysis, analysis.line_of("match"))
    if "iterations" in analysis:
        return FlaggerStyle("blue-green", analysis, analysis.line_of("iterations"))
    return FlaggerStyle("canary", analysis, obj.line)


def _pod_colours(kube: tuple[KubeObject, ...]) -> dict[str, dict[str, list[str]]]:
    """label key -> blue/green -> names of the workloads whose pods carry it."""
    colours: dict[str, dict[str, list[str]]] = {}
    for obj in kube:
        if obj.kind not in ("Deployment", "StatefulSet", "ReplicaSet"):
            continue
        labels = get_map(obj.body, "spec", "template", "metadata", "labels")
        for key, value in (labels or YamlMap(0)).items():
            if str(value).lower() in ("blue", "green"):
                colours.setdefault(str(key), {}).setdefault(str(value).lower(), []).append(obj.name)
    return colours


def _selector_switches(kube: tuple[KubeObject, ...]) -> list[str]:
    colours = _pod_colours(kube)
    found: list[str] = []
    for svc in kube:
        selector = get_map(svc.body, "spec", "selector") if svc.kind == "Service" else None
        for key, value in (selector or {}).items():
            both = colours.get(str(key), {})
            if str(value).lower() in ("blue", "green") and {"blue", "green"} <= both.keys() and selector:
                names = ", ".join(sorted(both["blue"] + both["green"]))
                found.append(
                    f"{svc.path}:{selector.line_of(key)}: Service '{svc.name}' selects {key}={value} "
                    f"between Deployments labelled blue and green ({names})"
                )
    return found


def _grep_lines(repo: Repo, pattern: str, files: list[str], what: str) -> list[str]:
    return [f"{hit.path}:{hit.line}: {what} ({hit.text.strip()[:80]})" for hit in repo.grep(pattern, files)]


def _iac_files(inv: Inventory) -> list[str]:
    return sorted({f for _, files in inv.iac for f in files} | set(inv.platform))


_CODEDEPLOY_BG = (
    r"BLUE_GREEN|blue_green_deployment_config|BlueGreenDeploymentConfiguration|AWS::CodeDeployBlueGreen"
)
_APPSPEC_ECS = r"TargetService"
_CI_SWAP = r"swap-environment-cnames|deployment\s+slot\s+swap|cf\s+blue-green-deploy"


def _looked_at(inv: Inventory) -> str:
    return (
        f"looked at {len(inv.kube)} Kubernetes objects, {len(_iac_files(inv))} IaC/platform files "
        f"and {len(inv.ci_files)} CI files"
    )


def evaluate_blue_green(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    found: list[str] = []
    for obj in inv.kube:
        strategy = _argo_strategy(obj)
        if strategy is not None and "blueGreen" in strategy:
            found.append(
                f"{obj.path}:{strategy.line_of('blueGreen')}: Argo Rollout '{obj.name}' uses blueGreen"
            )
        style = flagger_style(obj)
        if style is not None and style.style == "blue-green":
            found.append(f"{obj.path}:{style.line}: Flagger Canary '{obj.name}' runs a blue/green analysis")
    found += _selector_switches(inv.kube)
    iac = _iac_files(inv)
    found += _grep_lines(ctx.repo, _CODEDEPLOY_BG, iac, "AWS CodeDeploy blue/green")
    appspecs = [f for f in inv.platform if re.search(r"(^|/)appspec\.", f)]
    found += _grep_lines(ctx.repo, _APPSPEC_ECS, appspecs, "CodeDeploy ECS appspec (blue/green by design)")
    found += _grep_lines(ctx.repo, _CI_SWAP, list(inv.ci_files), "environment swap in CI")
    skipped = inv.manifest_skipped
    if found:
        return ctx.result(
            Status.PASS, "a blue/green strategy is configured", found[:MAX_EVIDENCE], skipped=skipped
        )
    if not inv.deployable:
        return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE, skipped=skipped)
    return ctx.result(
        Status.FAIL,
        "deployable, but no blue/green strategy is configured",
        [_looked_at(inv)],
        skipped=skipped,
    )


def _argo_canary(obj: KubeObject, strategy: YamlMap) -> tuple[bool, str]:
    canary = strategy.get("canary")
    raw_steps = canary.get("steps") if isinstance(canary, YamlMap) else None
    steps: list[object] = raw_steps if isinstance(raw_steps, list) else []
    analyses = [s["analysis"] for s in steps if isinstance(s, dict) and "analysis" in s]
    if isinstance(canary, YamlMap) and "analysis" in canary:
        analyses.append(canary["analysis"])
    templates: list[str] = []
    for analysis in analyses:
        refs = analysis.get("templates") if isinstance(analysis, dict) else None
        for ref in refs if isinstance(refs, list) else []:
            if isinstance(ref, dict):
                templates.append(str(ref.get("templateName") or ref.get("clusterTemplateName") or "?"))
    templates.sort()
    where = (
        f"{obj.path}:{strategy.line_of('canary')}: Argo Rollout '{obj.name}' canary with {len(steps)} steps"
    )
    if analyses:
        return True, f"{where} and automated analysis ({', '.join(templates) or 'inline'})"
    return False, f"{where} but no analysis: someone has to watch each step"


_KAYENTA = r"kayentaCanary|canaryConfigId|\"canaryConfig\"|\bkayenta\b"
_CODEDEPLOY_CANARY = r"Canary\d+Percent\d+Minutes"
_ALARMS = re.compile(r"\bAlarms\b|alarm_configuration|\balarms\b")


def evaluate_canary(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    automated: list[str] = []
    manual: list[str] = []
    for obj in inv.kube:
        strategy = _argo_strategy(obj)
        if strategy is not None and "canary" in strategy:
            judged, line = _argo_canary(obj, strategy)
            (automated if judged else manual).append(line)
        style = flagger_style(obj)
        if style is not None and style.style == "canary":
            metrics = style.analysis.get("metrics") if style.analysis is not None else None
            if isinstance(metrics, list) and metrics and style.analysis is not None:
                names = ", ".join(str(m.get("name", "?")) for m in metrics if isinstance(m, dict))
                where = f"{obj.path}:{style.analysis.line_of('metrics')}"
                automated.append(f"{where}: Flagger Canary '{obj.name}' judges metrics ({names})")
            else:
                where = f"{obj.path}:{style.line}"
                manual.append(f"{where}: Flagger Canary '{obj.name}' shifts traffic without metrics")
    data_files = [f for f in ctx.repo.files() if re.search(r"\.(json|ya?ml)$", f) and "lock" not in f]
    automated += _grep_lines(ctx.repo, _KAYENTA, data_files, "Kayenta/Spinnaker canary analysis")
    for hit in ctx.repo.grep(_CODEDEPLOY_CANARY, _iac_files(inv)):
        text = ctx.repo.read_text(hit.path) or ""
        judged = bool(_ALARMS.search(text))
        suffix = "rolled back on alarms" if judged else "without alarms"
        (automated if judged else manual).append(
            f"{hit.path}:{hit.line}: AWS CodeDeploy canary {hit.text.strip()[:60]} {suffix}"
        )
    skipped = inv.manifest_skipped
    if automated:
        summary = "canary releases are judged automatically"
        return ctx.result(Status.PASS, summary, (automated + manual)[:MAX_EVIDENCE], skipped=skipped)
    if manual:
        summary = "canary steps exist, but no automated analysis judges them"
        return ctx.result(Status.PARTIAL, summary, manual[:MAX_EVIDENCE], skipped=skipped)
    if not inv.deployable:
        return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE, skipped=skipped)
    return ctx.result(Status.FAIL, "deployable, but no canary strategy", [_looked_at(inv)], skipped=skipped)


# -- experiments ---------------------------------------------------------------------------------

EXPERIMENT_SDKS: tuple[Sdk, ...] = (
    Sdk("GrowthBook", r"(?i:growthbook)", r"(?i:growthbook)"),
    Sdk("Statsig", r"(?i:statsig)", r"(?i:statsig)"),
    Sdk("Optimizely", r"(?i:optimizely)", r"(?i:optimizely)"),
    Sdk("gbstats", r"(?i:\bgbstats\b)", r"(?i:\bgbstats\b)"),
    Sdk(
        "Eppo",
        r"(?i:eppo[-_]server[-_]sdk|eppo[-_]client|@eppo/)",
        r"(?i:eppo_client|@eppo/|eppo-server-sdk)",
    ),
    Sdk(
        "Amplitude Experiment",
        r"(?i:@amplitude/experiment|amplitude[-_]experiment)",
        r"(?i:@amplitude/experiment|amplitude_experiment)",
    ),
    Sdk("PlanOut", r"(?i:\bplanout\b)", r"(?i:\bplanout\b)"),
    # Flag vendors whose SDK alone is no experiment: only their experiment APIs count, next to the dependency.
    Sdk("Unleash variants", r"(?i:unleash)", r"\b(?:getVariant|get_variant|useVariant)\(", False),
    Sdk("LaunchDarkly experiments", r"(?i:launchdarkly)", r"\b(?:ld_?[Cc]lient|client)\.track\(", False),
    Sdk(
        "PostHog experiments",
        r"(?i:posthog)",
        r"\b(?:getFeatureFlagVariantKey|useFeatureFlagVariantKey|get_feature_flag|getFeatureFlag)\(",
        False,
    ),
)
_VENDOR_APIS = {"Unleash variants", "LaunchDarkly experiments", "PostHog experiments"}


def evaluate_ab_testing(ctx: Context) -> PracticeResult:
    app = app_code(ctx.repo)
    if not app.is_app:
        return ctx.result(Status.NOT_APPLICABLE, app.not_app_reason())
    hits = find_sdks(ctx.repo, app, EXPERIMENT_SDKS)
    declared = {hit.sdk for hit in hits if not hit.in_code}
    hits = [hit for hit in hits if hit.sdk not in _VENDOR_APIS or (hit.in_code and hit.sdk in declared)]
    if hits:
        return ctx.result(Status.PASS, f"experiments through {sdk_names(hits)}", sdk_evidence(hits))
    looked = ", ".join(sdk.name for sdk in EXPERIMENT_SDKS)
    return ctx.result(
        Status.FAIL,
        "no experimentation SDK in the application code or its dependencies",
        [app.app_evidence(), f"looked for: {looked}"],
    )


EVALUATORS: dict[str, Evaluator] = {
    "release.on-demand": evaluate_on_demand,
    "release.blue-green": evaluate_blue_green,
    "release.canary": evaluate_canary,
    "release.ab-testing": evaluate_ab_testing,
}
