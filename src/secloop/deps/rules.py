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

RULES: tuple[Rule, ...] = (DEP_VULN,)
