"""Bitbucket Pipelines scan: bitbucket-pipelines.yml at the root, read once per Repo and audited."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from secloop.core.model import Finding, Skipped
from secloop.pipeline.bitbucket.audits import BITBUCKET_AUDITS
from secloop.pipeline.bitbucket.model import BitbucketFile, parse_bitbucket
from secloop.sources.repo import Repo

ROOT_FILE = "bitbucket-pipelines.yml"


@dataclass(frozen=True, slots=True)
class BitbucketScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files: tuple[BitbucketFile, ...]

    def of(self, *rule_ids: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule_id in rule_ids)


def scan_bitbucket_text(path: str, text: str | None) -> BitbucketScan:
    if text is None:
        return BitbucketScan(
            (), (Skipped(path, "not readable as text (binary or larger than the size limit)"),), ()
        )
    parsed = parse_bitbucket(path, text)
    if isinstance(parsed, Skipped):
        return BitbucketScan((), (parsed,), ())
    findings = [f for audit in BITBUCKET_AUDITS for f in audit.audit(parsed)]
    return BitbucketScan(tuple(sorted(findings, key=Finding.sort_key)), (), (parsed,))


_SCANS: weakref.WeakKeyDictionary[Repo, BitbucketScan] = weakref.WeakKeyDictionary()


def scan_bitbucket(repo: Repo) -> BitbucketScan | None:
    if ROOT_FILE not in repo.files():
        return None
    scan = _SCANS.get(repo)
    if scan is None:
        scan = scan_bitbucket_text(ROOT_FILE, repo.read_text(ROOT_FILE))
        _SCANS[repo] = scan
    return scan
