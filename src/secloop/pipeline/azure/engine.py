"""Azure Pipelines scan: azure-pipelines.yml / .azure-pipelines/*.yml, each read once per Repo."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from secloop.core.model import Finding, Skipped
from secloop.pipeline.azure.audits import AZURE_AUDITS
from secloop.pipeline.azure.model import AzureFile, parse_azure
from secloop.sources.repo import Repo

AZURE_PATH = re.compile(
    r"^(?:azure-pipelines[^/]*\.ya?ml|\.azure-pipelines/[^/]+\.ya?ml|\.azuredevops/[^/]+\.ya?ml)$"
)


@dataclass(frozen=True, slots=True)
class AzureScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files: tuple[AzureFile, ...]

    def of(self, *rule_ids: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule_id in rule_ids)


def scan_azure_texts(files: list[tuple[str, str | None]]) -> AzureScan:
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    parsed_files: list[AzureFile] = []
    for path, text in files:
        if text is None:
            skipped.append(Skipped(path, "not readable as text (binary or larger than the size limit)"))
            continue
        parsed = parse_azure(path, text)
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
            continue
        parsed_files.append(parsed)
        findings.extend(f for audit in AZURE_AUDITS for f in audit.audit(parsed))
    return AzureScan(tuple(sorted(findings, key=Finding.sort_key)), tuple(skipped), tuple(parsed_files))


_SCANS: weakref.WeakKeyDictionary[Repo, AzureScan] = weakref.WeakKeyDictionary()


def azure_paths(repo: Repo) -> list[str]:
    return [f for f in repo.files() if AZURE_PATH.match(f)]


def scan_azure(repo: Repo) -> AzureScan | None:
    paths = azure_paths(repo)
    if not paths:
        return None
    scan = _SCANS.get(repo)
    if scan is None:
        scan = scan_azure_texts([(p, repo.read_text(p)) for p in paths])
        _SCANS[repo] = scan
    return scan
