"""Checkov as an optional second engine: `secloop scan iac --with-checkov`.

Checkov is never a dependency: it runs when it is installed (`checkov` on PATH, or the executable
named by ``SECLOOP_CHECKOV``), offline, over the same folder: `--skip-download` and
``BC_SKIP_MAPPING=TRUE`` keep it from the Prisma Cloud platform, ``CKV_SKIP_PACKAGE_UPDATE_CHECK``
from PyPI. Its failed checks become `IAC-CHECKOV` findings that name the check. A check that
secloop has a policy of its own for (`COVERED`) is not reported again: secloop's policy decides
those resources, with its connections between resources, so one misconfiguration never shows
twice. When Checkov is absent or fails, the scan says so under "not checked" and keeps secloop's
own results.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from secloop.core.enums import Confidence, Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.iac.model import IacScan
from secloop.iac.policies.interface import iac_rule
from secloop.iac.scan import NOT_PROJECT, VENDORED
from secloop.sources.repo import Repo

ENV = "SECLOOP_CHECKOV"
FRAMEWORKS = ("terraform", "cloudformation", "kubernetes", "dockerfile")
TIMEOUT_S = 900

CHECKOV = iac_rule(
    "IAC-CHECKOV",
    "Checkov check failed",
    Severity.MEDIUM,
    "A check of Checkov (run as an optional engine with `--with-checkov`) failed on this resource. "
    "secloop has no policy of its own for it; the message names the check and its guideline.",
    "Follow the guideline of the named Checkov check, or suppress the finding with a reason.",
    (),
    "checkov",
    confidence=Confidence.MEDIUM,
)

# Checkov checks that secloop's own policies cover (same resource, same question).
COVERED: dict[str, str] = {
    "CKV_AWS_19": "IAC-AWS-S3-ENCRYPTION",
    "CKV_AWS_145": "IAC-AWS-S3-ENCRYPTION",
    "CKV_AWS_20": "IAC-AWS-S3-PUBLIC-ACL",
    "CKV_AWS_18": "IAC-AWS-S3-LOGGING",
    "CKV_AWS_21": "IAC-AWS-S3-VERSIONING",
    "CKV_AWS_53": "IAC-AWS-S3-PUBLIC-ACCESS-BLOCK",
    "CKV_AWS_54": "IAC-AWS-S3-PUBLIC-ACCESS-BLOCK",
    "CKV_AWS_55": "IAC-AWS-S3-PUBLIC-ACCESS-BLOCK",
    "CKV_AWS_56": "IAC-AWS-S3-PUBLIC-ACCESS-BLOCK",
    "CKV_AWS_70": "IAC-AWS-S3-POLICY-PUBLIC",
    "CKV_AWS_16": "IAC-AWS-RDS-ENCRYPTION",
    "CKV_AWS_17": "IAC-AWS-RDS-PUBLIC",
    "CKV_AWS_133": "IAC-AWS-RDS-BACKUP",
    "CKV_AWS_3": "IAC-AWS-EBS-ENCRYPTION",
    "CKV_AWS_8": "IAC-AWS-EBS-ENCRYPTION",
    "CKV_AWS_7": "IAC-AWS-KMS-ROTATION",
    "CKV_AWS_35": "IAC-AWS-CLOUDTRAIL-ENCRYPTION",
    "CKV_AWS_36": "IAC-AWS-CLOUDTRAIL-LOG-VALIDATION",
    "CKV_AWS_51": "IAC-AWS-ECR-TAG-MUTABLE",
    "CKV_AWS_79": "IAC-AWS-EC2-IMDSV1",
    "CKV_AWS_24": "IAC-AWS-SG-OPEN-SSH",
    "CKV_AWS_25": "IAC-AWS-SG-OPEN-RDP",
    "CKV_AWS_1": "IAC-AWS-IAM-WILDCARD-ACTION",
    "CKV_AWS_62": "IAC-AWS-IAM-WILDCARD-ACTION",
    "CKV_AWS_63": "IAC-AWS-IAM-WILDCARD-ACTION",
    "CKV_AWS_355": "IAC-AWS-IAM-WILDCARD-RESOURCE",
    "CKV_AWS_290": "IAC-AWS-IAM-WILDCARD-RESOURCE",
    "CKV_AZURE_3": "IAC-AZURE-STORAGE-HTTPS",
    "CKV_AZURE_44": "IAC-AZURE-STORAGE-MIN-TLS",
    "CKV_AZURE_190": "IAC-AZURE-STORAGE-PUBLIC-BLOB",
    "CKV_AZURE_34": "IAC-AZURE-STORAGE-PUBLIC-BLOB",
    "CKV_GCP_29": "IAC-GCP-BUCKET-UNIFORM-ACCESS",
    "CKV_GCP_28": "IAC-GCP-BUCKET-PUBLIC",
    "CKV_GCP_2": "IAC-GCP-FIREWALL-OPEN-SSH-RDP",
    "CKV_GCP_3": "IAC-GCP-FIREWALL-OPEN-SSH-RDP",
    "CKV_GCP_11": "IAC-GCP-SQL-PUBLIC",
    "CKV_K8S_16": "IAC-K8S-PRIVILEGED",
    "CKV_K8S_20": "IAC-K8S-PRIVILEGE-ESCALATION",
    "CKV_K8S_22": "IAC-K8S-READONLY-ROOT-FS",
    "CKV_K8S_19": "IAC-K8S-HOST-NETWORK",
    "CKV_K8S_17": "IAC-K8S-HOST-PID",
    "CKV_K8S_18": "IAC-K8S-HOST-IPC",
    "CKV_K8S_14": "IAC-K8S-IMAGE-TAG",
    "CKV_K8S_11": "IAC-K8S-RESOURCE-LIMITS",
    "CKV_K8S_13": "IAC-K8S-RESOURCE-LIMITS",
    "CKV_K8S_38": "IAC-K8S-SA-TOKEN",
    "CKV_K8S_37": "IAC-K8S-CAPABILITIES",
    "CKV_K8S_39": "IAC-K8S-CAPABILITIES",
    "CKV_K8S_23": "IAC-K8S-RUN-AS-ROOT",
    "CKV_K8S_6": "IAC-K8S-RUN-AS-ROOT",
    "CKV_K8S_49": "IAC-K8S-RBAC-WILDCARD",
    "CKV_DOCKER_3": "IAC-DOCKER-ROOT-USER",
    "CKV_DOCKER_8": "IAC-DOCKER-ROOT-USER",
    "CKV_DOCKER_7": "DOCKER-UNPINNED-BASE-IMAGE",
}
_SEVERITY = {s.value: s for s in Severity}


def find_checkov() -> tuple[str | None, str]:
    """The executable to run, or None and why not."""
    explicit = os.environ.get(ENV)
    if explicit:
        if Path(explicit).is_file() and os.access(explicit, os.X_OK):
            return explicit, ""
        return None, f"{ENV}={explicit} is not an executable file"
    found = shutil.which("checkov")
    return (found, "") if found else (None, f"`checkov` is not on PATH and {ENV} is not set")


def run_checkov(root: Path) -> tuple[list[dict[str, Any]], Skipped | None]:
    """Checkov's failed checks over ``root``, or why they could not be had."""
    exe, why = find_checkov()
    if exe is None:
        return [], _not_run(f"{why}; Checkov's checks were not run")
    command = [
        exe,
        "-d",
        str(root),
        "--output",
        "json",
        "--quiet",
        "--compact",
        "--skip-download",
        "--framework",
        ",".join(FRAMEWORKS),
    ]
    # no platform configuration or guideline mapping, no check for a newer version on PyPI
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [], _not_run(f"Checkov could not run ({type(exc).__name__}: {exc})")
    try:
        doc = json.loads(proc.stdout) if proc.stdout.strip() else []
    except ValueError:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return [], _not_run(f"Checkov exited {proc.returncode} without a JSON report ({tail})")
    return list(_failed(doc)), None


def _not_run(reason: str) -> Skipped:
    return Skipped(".", f"Checkov engine: {reason}")


def _failed(doc: Any) -> Iterator[dict[str, Any]]:
    for report in doc if isinstance(doc, list) else [doc]:
        results = report.get("results") if isinstance(report, dict) else None
        failed = results.get("failed_checks") if isinstance(results, dict) else None
        for check in failed if isinstance(failed, list) else []:
            if isinstance(check, dict) and isinstance(check.get("check_id"), str):
                yield {**check, "check_type": report.get("check_type", "")}


def _relative(check: dict[str, Any], root: Path) -> str | None:
    absolute = check.get("file_abs_path")
    if isinstance(absolute, str):
        try:
            return Path(absolute).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    path = check.get("file_path")
    return path.lstrip("/") if isinstance(path, str) and path else None


def findings(
    checks: Iterable[dict[str, Any]], root: Path, *, include_fixtures: bool = False
) -> list[Finding]:
    """Checkov's failed checks as findings: the ones secloop covers dropped, one per check and
    resource, in the folders secloop itself reads."""
    out: dict[str, Finding] = {}
    for check in checks:
        check_id = str(check["check_id"])
        path = _relative(check, root)
        if check_id in COVERED or path is None or VENDORED.search(path):
            continue
        if not include_fixtures and NOT_PROJECT.search(path):
            continue
        lines = check.get("file_line_range")
        line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], int) else None
        resource = str(check.get("resource") or "")
        name = str(check.get("check_name") or check_id)
        guideline = check.get("guideline")
        severity = _SEVERITY.get(str(check.get("severity") or "").lower(), CHECKOV.severity)
        fingerprint = keyed_fingerprint(CHECKOV.id, path, check_id, resource)
        properties = [("engine", "checkov"), ("checkov_check", check_id), ("resource", resource)]
        if isinstance(guideline, str) and guideline:
            properties.append(("guideline", guideline))
        out.setdefault(
            fingerprint,
            Finding(
                rule_id=CHECKOV.id,
                severity=severity,
                confidence=CHECKOV.confidence,
                message=f"Checkov {check_id}: {name}" + (f" ({resource})" if resource else ""),
                locations=(Location(path, line),),
                fingerprint=fingerprint,
                properties=tuple(properties),
                fix=CHECKOV.fix,
            ),
        )
    return list(out.values())


def with_checkov(scan: IacScan, repo: Repo, *, include_fixtures: bool = False) -> IacScan:
    """``scan`` with Checkov's findings added, or with a note that Checkov did not run."""
    checks, problem = run_checkov(repo.root)
    if problem is not None:
        return replace(scan, skipped=(*scan.skipped, problem))
    extra = findings(checks, repo.root, include_fixtures=include_fixtures)
    return replace(scan, findings=tuple(sorted((*scan.findings, *extra), key=Finding.sort_key)))
