"""Rules of the deps engine, declared once here."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule

DEP_VULN = Rule(
    id="DEP-VULN",
    title="A pinned dependency version has a known vulnerability",
    stage=Stage.BUILD,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    description=(
        "A lockfile pins a package version that an OSV advisory lists as affected, by its exact "
        "`versions` list or its version ranges. Advisories that are aliases of one another (a PYSEC "
        "record, its GHSA and its CVE) are one finding. The severity is the worst CVSS v4/v3 score of "
        "the merged advisories, else the database's own rating; an advisory nobody scored counts as high."
    ),
    fix=(
        "Upgrade to the fixed version the finding names (the lowest one that clears the advisory; the "
        "finding also names the lowest upgrade that clears every known advisory of the package). If no "
        "fix exists, remove or replace the package, or suppress the finding with a reason and an expiry."
    ),
    cwe=(1395,),
    asvs=("14.2.1",),
    tags=("sca",),
)

DEP_COOLDOWN = Rule(
    id="DEP-COOLDOWN",
    title="A pinned version was released too shortly before it was locked",
    stage=Stage.BUILD,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "The lockfile pins a version the registry says was published fewer days (default 14, "
        "`[policy] cooldown_days` in .secloop/deps.toml) before the last commit that changed the lockfile. "
        "Malicious releases are usually found and pulled within days; waiting keeps them out. A version "
        "that fixes a high or critical advisory affecting the release before it is exempt: patch at once."
    ),
    fix=(
        "Pin the previous release until the new one is older than the cooldown, or configure the update "
        "tool to wait (Dependabot `cooldown`, Renovate `minimumReleaseAge`, uv `exclude-newer`)."
    ),
    cwe=(1357,),
    cicd_sec=(3,),
    tags=("supply-chain", "registry"),
)

DEP_OUTDATED = Rule(
    id="DEP-OUTDATED",
    title="A direct dependency has not been updated for more than a month",
    stage=Stage.BUILD,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    description=(
        "A direct dependency is pinned behind a release that has been out for more than 30 days "
        "(`[policy] update_days`): the project does not update monthly. The finding states how many "
        "releases behind the pin is and its libyears (the time between the pinned and the newest release)."
    ),
    fix="Update the dependency (and run the tests); let Dependabot or Renovate propose it every month.",
    cwe=(1104,),
    tags=("freshness", "registry"),
)

DEP_UNMAINTAINED = Rule(
    id="DEP-UNMAINTAINED",
    title="A dependency is no longer maintained",
    stage=Stage.BUILD,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "The registry shows no release for more than two years (`[policy] unmaintained_days`), the project "
        "declares itself inactive (PyPI classifier `Development Status :: 7 - Inactive`), or its newest "
        "version is deprecated on npm. Vulnerabilities found in it are unlikely to be fixed."
    ),
    fix="Replace the package with a maintained alternative, or vendor and maintain it yourself.",
    cwe=(1104,),
    tags=("health", "registry"),
)

DEP_YANKED = Rule(
    id="DEP-YANKED",
    title="A pinned version was yanked, unpublished or deprecated",
    stage=Stage.BUILD,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "The registry marks the pinned version as yanked (PyPI), unpublished or deprecated (npm). Authors "
        "withdraw releases that are broken or compromised; the message the registry gives is quoted."
    ),
    fix="Move to a release the registry does not withdraw (usually the next one).",
    cwe=(1104,),
    tags=("health", "registry"),
)

DEP_LITTLE_USED = Rule(
    id="DEP-LITTLE-USED",
    title="A dependency is little used",
    stage=Stage.BUILD,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    description=(
        "The npm downloads API counts fewer weekly downloads than `[policy] min_weekly_downloads` (default "
        "1,000). Little-used packages get little review, and typo-squatted names look like this. Only npm "
        "is measured: PyPI's JSON API no longer reports downloads."
    ),
    fix="Check that the name is the package you meant; prefer a widely used alternative.",
    tags=("health", "registry"),
)

DEP_ARCHIVED = Rule(
    id="DEP-ARCHIVED",
    title="A dependency's source repository is archived",
    stage=Stage.BUILD,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "The package's registry metadata names a GitHub repository (PyPI `project_urls` or `home_page`, "
        "npm `repository`) and the GitHub API reports it archived: read-only, so no fix will be merged "
        "there. The finding states when the repository was last pushed to."
    ),
    fix="Replace the package with a maintained alternative or fork, or vendor and maintain it yourself.",
    cwe=(1104,),
    tags=("health", "registry"),
)

DEP_IGNORE_EXPIRED = Rule(
    id="DEP-IGNORE-EXPIRED",
    title="An advisory ignore has expired",
    stage=Stage.BUILD,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "An `[[ignore]]` entry of .secloop/deps.toml is past its expiry date. It no longer applies: the "
        "advisory it named is reported again (if still present), and the stale entry is reported here."
    ),
    fix="Upgrade the package, or re-assess the advisory and write a new ignore with a new reason and expiry.",
    tags=("sca",),
)

RULES: tuple[Rule, ...] = (
    DEP_VULN,
    DEP_COOLDOWN,
    DEP_OUTDATED,
    DEP_UNMAINTAINED,
    DEP_YANKED,
    DEP_LITTLE_USED,
    DEP_ARCHIVED,
    DEP_IGNORE_EXPIRED,
)
