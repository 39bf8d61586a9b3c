"""Evaluators of the deploy stage: continuous delivery, feature toggles, environments as code."""

from __future__ import annotations

import re

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.sources.delivery_jobs import MAIN, UNKNOWN, CiJob
from secloop.sources.manifests import (
    MAX_EVIDENCE,
    NOTHING_DEPLOYABLE,
    Sdk,
    app_code,
    find_sdks,
    inventory,
    preview,
    sdk_evidence,
    sdk_names,
)

RULES: tuple[Rule, ...] = ()

DORA_NOTE = (
    "deployment frequency will come from the delivery engine (secloop dora), which is not available yet"
)


def describe_deploy(job: CiJob) -> str:
    how = f"runs `{job.deploy_tool}`" if job.deploy_tool else f"deploys to environment '{job.environment}'"
    return f"{job.where}: job '{job.name}' {how}, started by {job.describe_triggers()}"


def evaluate_continuous_delivery(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    jobs = inv.deploy_jobs
    skipped = inv.ci_skipped
    if not jobs:
        if not inv.deployable:
            return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE, [DORA_NOTE], skipped=skipped)
        read = f"CI files read: {preview(inv.ci_files)}" if inv.ci_files else "no CI configuration found"
        return ctx.result(
            Status.FAIL,
            "the repository is deployable but no CI job deploys it",
            [*inv.deployable_evidence(), read, DORA_NOTE],
            skipped=skipped,
        )
    evidence = [describe_deploy(job) for job in jobs[:MAX_EVIDENCE]] + [DORA_NOTE]
    automatic = [job for job in jobs if MAIN in job.triggers]
    if automatic:
        return ctx.result(
            Status.PASS,
            f"job '{automatic[0].name}' deploys automatically on pushes to the main branch",
            evidence,
            skipped=skipped,
        )
    if all(UNKNOWN in job.triggers for job in jobs):
        summary = "deploy tooling found, but what starts it is configured outside the repository"
    else:
        summary = "deployments start by hand, from a tag or from a release — not automatically from main"
    return ctx.result(Status.PARTIAL, summary, evidence, skipped=skipped)


FLAG_SDKS: tuple[Sdk, ...] = (
    Sdk("OpenFeature", r"(?i:open-?feature)", r"(?i:\bopenfeature\b|@openfeature/|open-feature/go-sdk)"),
    Sdk(
        "Unleash",
        r"(?i:unleash)",
        r"UnleashClient|(?i:unleash[-_]client|@unleash/|unleash-proxy-client|\bunleash\.is_?enabled)",
    ),
    Sdk("LaunchDarkly", r"(?i:launchdarkly|\bldclient\b)", r"(?i:launchdarkly|\bldclient\b)"),
    Sdk("Flagsmith", r"(?i:flagsmith)", r"(?i:flagsmith)"),
    Sdk("GrowthBook", r"(?i:growthbook)", r"(?i:growthbook)"),
    Sdk("ConfigCat", r"(?i:configcat)", r"(?i:configcat)"),
    Sdk("Split", r"(?i:\bsplitio\b|@splitsoftware/|split\.io)", r"(?i:\bsplitio\b|@splitsoftware/)"),
    Sdk("Flipt", r"(?i:\bflipt\b)", r"(?i:\bflipt\b)"),
    Sdk("django-waffle", r"(?i:django-waffle)", r"\bwaffle\b"),
    Sdk("Flipper", r"""\bgem\s+['"]flipper""", r"['\"]flipper"),
)


# A module or config file named for feature switches: toggles exist, but no SDK or service runs them.
_HOMEGROWN = re.compile(
    r"(^|/)(features?|feature[-_]?(flags|toggles|switches)|flags|toggles)\.(ya?ml|json|toml|py|js|ts|go|rb|java|kt)$"
)
_ASIDE = re.compile(r"(^|/)(tests?|spec|fixtures|examples?|docs?|node_modules|vendor)/")


def homegrown_switches(files: tuple[str, ...]) -> list[str]:
    return [f for f in files if _HOMEGROWN.search(f) and not _ASIDE.search(f)]


def evaluate_feature_toggles(ctx: Context) -> PracticeResult:
    app = app_code(ctx.repo)
    if not app.is_app:
        return ctx.result(Status.NOT_APPLICABLE, app.not_app_reason())
    hits = find_sdks(ctx.repo, app, FLAG_SDKS)
    if hits:
        return ctx.result(Status.PASS, f"feature flags through {sdk_names(hits)}", sdk_evidence(hits))
    looked = f"looked for: {', '.join(sdk.name for sdk in FLAG_SDKS)}"
    homegrown = homegrown_switches(ctx.repo.files())
    if homegrown:
        return ctx.result(
            Status.PARTIAL,
            "home-grown feature switches, without a feature-flag SDK or service",
            [f"{path}: feature switches kept by the application" for path in homegrown[:MAX_EVIDENCE]]
            + [looked],
        )
    return ctx.result(
        Status.FAIL,
        "no feature-flag SDK in the application code or its dependencies",
        [app.app_evidence(), looked],
    )


def evaluate_environments_as_code(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    skipped = inv.manifest_skipped
    if inv.iac:
        kinds = ", ".join(kind for kind, _ in inv.iac)
        evidence = [f"{kind}: {preview(files)}" for kind, files in inv.iac]
        return ctx.result(Status.PASS, f"environments defined as code: {kinds}", evidence, skipped=skipped)
    if inv.dockerfiles or inv.platform:
        return ctx.result(
            Status.PARTIAL,
            "only the image or the platform config is code; the environment around it is not",
            inv.deployable_evidence(),
            skipped=skipped,
        )
    if inv.deployable:
        return ctx.result(
            Status.FAIL,
            "the repository deploys but defines no environment as code",
            inv.deployable_evidence(),
            skipped=skipped,
        )
    return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE, skipped=skipped)


EVALUATORS: dict[str, Evaluator] = {
    "deploy.continuous-delivery": evaluate_continuous_delivery,
    "deploy.feature-toggles": evaluate_feature_toggles,
    "deploy.environments-as-code": evaluate_environments_as_code,
}
