"""The logging, monitoring, resilience and data-store kinds run for real against a repository that
has the controls and one that lacks them (data-store settings through secloop's IaC engine)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from secloop.threatmodel.testcode import CONFTEST, render_test
from secloop.threatmodel.testops import OPS_KINDS
from secloop.threatmodel.testrepo import REPO_HEADER, REPO_HELPERS

DB = (
    'resource "aws_db_instance" "orders" {{\n  storage_encrypted = {enc}\n'
    "  backup_retention_period = {days}\n  publicly_accessible = {public}\n}}\n"
)

GOOD = {
    "services/api/app.py": (
        "import logging\nimport time\n\nimport requests\nimport structlog\n\n"
        "logging.Formatter.converter = time.gmtime\nlog = logging.getLogger('api')\n\n\n"
        "class Redact(logging.Filter):\n    def filter(self, record):\n"
        "        record.msg = redact(record.msg)\n"
        "        return True\n\n\ndef login(user):\n    log.warning('authn_login_fail:%s', user)\n"
        "    return requests.post('https://idp.example/token', data={}, timeout=5)\n"
    ),
    "deploy/api.yaml": (
        "kind: Deployment\nspec:\n  replicas: 3\n---\nkind: NetworkPolicy\nspec:\n  podSelector: {}\n"
    ),
    "monitoring/alerts.yml": (
        "groups:\n  - name: security\n    rules:\n      - alert: ManyLoginFailures\n"
        "        expr: sum(rate(login_failures_total[5m])) > 10\n        for: 5m\n"
    ),
    "infra/logs.tf": (
        'resource "aws_cloudwatch_log_group" "api" {\n  retention_in_days = 90\n}\n'
        'resource "aws_cloudwatch_log_subscription_filter" "ship" {\n  log_group_name = "api"\n}\n'
    ),
    # Outside the component's code paths: the IaC data-store checks do not judge this bucket.
    "ops/audit.tf": 'resource "aws_s3_bucket" "audit" {\n  object_lock_enabled = true\n}\n',
    "infra/db.tf": DB.format(enc="true", days=7, public="false"),
    ".github/settings.yml": (
        "branches:\n  - name: main\n    protection:\n      required_approving_review_count: 1\n"
    ),
}
BAD = {
    "services/api/app.py": (
        "import logging\n\nimport requests\n\nlog = logging.getLogger('api')\n\n\n"
        "def login(user):\n    log.info('started')\n"
        "    return requests.post(\n        'https://idp.example/token', data={}\n    )\n"
    ),
    "deploy/api.yaml": "kind: Deployment\nspec:\n  replicas: 1\n",
    "infra/db.tf": DB.format(enc="false", days=0, public="true"),
    "infra/keys.tf": 'resource "aws_iam_access_key" "ci" {\n  user = "ci"\n}\n',
}
EXPECTED_FAILURES = {
    "repo-security-logging": "no authentication or authorization outcome is logged",
    "repo-alerting": "no Prometheus alert rules and no .secloop/monitor.toml",
    "repo-log-retention": "no log retention period in the IaC",
    "repo-central-logs": "logs stay on the host",
    "repo-immutable-logs": "no object lock, WORM or log validation",
    "repo-structured-logging": "no structured (JSON) logging configured",
    "repo-utc-logs": "no UTC log time and no clock synchronisation configured",
    "repo-log-redaction": "no redaction in the logging code or configuration",
    "repo-network-policy": "no network policy or firewall rules",
    "repo-redundancy": "no deployment with two or more instances",
    "repo-four-eyes": "no required approvals in the repository settings or IaC",
    "repo-client-timeouts": "calls without a timeout in ['services/api/app.py']",
    "repo-no-static-keys": "static credentials in ['infra/keys.tf']",
    "iac-store-encrypted": "not encrypted: ['IAC-AWS-RDS-ENCRYPTION at infra/db.tf:2']",
    "iac-store-backups": "no backups: ['IAC-AWS-RDS-BACKUP at infra/db.tf:3']",
    "iac-store-private": "public access: ['IAC-AWS-RDS-PUBLIC at infra/db.tf:4']",
}


def _generate(tmp_path: Path, files: dict[str, str], code: str, kinds: tuple[str, ...] = OPS_KINDS) -> Path:
    repo = tmp_path / "repo"
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, "utf-8")
    out = tmp_path / "generated"
    out.mkdir()
    text = REPO_HEADER.format(marker="m", model="m", env="TM_REPO", relative="../repo") + REPO_HELPERS
    for kind in kinds:
        name = "test_" + kind.replace("-", "_")
        text += render_test(
            kind, threat="THREAT-X", asvs="'none'", name=name, rule="TM-X", marks="", code=code
        )
    (out / "test_ops_kinds.py").write_text(text, "utf-8")
    (out / "conftest.py").write_text(CONFTEST, "utf-8")
    return out


def _run(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", str(out)],
        cwd=out,
        env={k: v for k, v in os.environ.items() if k != "TM_REPO"} | {"COLUMNS": "400"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_kinds() -> None:
    assert set(OPS_KINDS) == set(EXPECTED_FAILURES)


@pytest.mark.parametrize("good", [True, False], ids=["has-the-controls", "lacks-them"])
def test_every_ops_kind_against_a_repository(tmp_path: Path, good: bool) -> None:
    proc = _run(_generate(tmp_path, GOOD if good else BAD, "('services/**', 'infra/**')"))
    summary = proc.stdout.splitlines()[-1]
    if good:
        assert summary.startswith("16 passed"), proc.stdout
        return
    assert summary.startswith("16 failed"), proc.stdout
    for kind, message in EXPECTED_FAILURES.items():
        assert f"test_{kind.replace('-', '_')} - AssertionError: {message}" in proc.stdout, (
            kind,
            proc.stdout,
        )


def test_checks_stay_inside_the_components_code_paths(tmp_path: Path) -> None:
    files = {
        **GOOD,
        "services/api/app.py": BAD["services/api/app.py"],
        "web/app.py": GOOD["services/api/app.py"],
    }
    kinds = ("repo-security-logging", "repo-client-timeouts", "iac-store-encrypted")
    proc = _run(_generate(tmp_path, files, "('web/**',)", kinds))
    # Logged and with timeouts in web/; the database's IaC is outside web/, so that check skips.
    assert proc.stdout.splitlines()[-1].startswith("2 passed, 1 skipped"), proc.stdout
    assert "no aws_db_instance, aws_rds_cluster, aws_s3_bucket... resource in the component's code paths" in (
        proc.stdout
    )


def test_an_absence_check_skips_when_there_is_nothing_to_look_at(tmp_path: Path) -> None:
    proc = _run(_generate(tmp_path, {"README.md": "hi\n"}, "()", ("repo-no-static-keys",)))
    assert proc.stdout.splitlines()[-1].startswith("1 skipped"), proc.stdout
    assert "no Terraform and no CI workflow to look at" in proc.stdout
