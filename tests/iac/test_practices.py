"""The engine-backed evaluators: "build.iac-scanning", "operate.immutable-infrastructure" and
"operate.no-humans-in-production" keep the repository-content evidence and add the engine's."""

from __future__ import annotations

from pathlib import Path

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.iac.practices import EVALUATORS
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from tests.iac.conftest import write

OPEN_SSH = """
resource "aws_security_group" "ssh" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
UNENCRYPTED_VOLUME = 'resource "aws_ebs_volume" "v" {\n  size = 10\n}\n'
CI_SCAN = """
on:
  pull_request:
  push:
    branches: [main]
jobs:
  iac:
    runs-on: ubuntu-latest
    steps:
      - run: secloop scan iac .
"""
PINNED_IMAGE = "FROM python:3.12-slim\nUSER app\n"


def evaluate(root: Path, practice_id: str, files: dict[str, str]) -> PracticeResult:
    write(root, files)
    practice = next(p for p in load_catalog() if p.id == practice_id)
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice))


def ids(result: PracticeResult) -> list[tuple[str, str, int | None]]:
    return [(f.rule_id, f.primary.path, f.primary.start_line) for f in result.findings if f.primary]


# -- build.iac-scanning ---------------------------------------------------------------------------


def test_no_iac_is_not_applicable(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.iac-scanning", {"pyproject.toml": "[project]\nname = 'lib'\n"})
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary.startswith("no infrastructure as code")


def test_high_findings_fail_and_missing_ci_scanner_is_said(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.iac-scanning", {"infra/main.tf": OPEN_SSH})
    assert result.status is Status.FAIL
    assert result.summary == "1 misconfiguration in 1 resource (1 high)"
    assert ids(result) == [("IAC-AWS-SG-OPEN-SSH", "infra/main.tf", 2)]
    assert result.evidence[0] == "IaC: terraform (infra/main.tf)"
    assert result.evidence[1].startswith(
        "CI: not scanned in CI or pre-commit (IaC (terraform) is not scanned"
    )
    assert result.evidence[-1] == "terraform: 1 file, 1 resource checked (infra/main.tf)"


def test_only_medium_findings_pass_and_ci_scanner_is_evidence(tmp_path: Path) -> None:
    files = {"infra/main.tf": UNENCRYPTED_VOLUME, ".github/workflows/ci.yml": CI_SCAN}
    result = evaluate(tmp_path, "build.iac-scanning", files)
    assert result.status is Status.PASS
    assert result.summary == "no high or critical misconfiguration in 1 resource; 1 lesser finding (1 medium)"
    assert ids(result) == [("IAC-AWS-EBS-ENCRYPTION", "infra/main.tf", 1)]
    assert result.evidence == (
        "IaC: terraform (infra/main.tf)",
        ".github/workflows/ci.yml:9: secloop (secloop scan iac .)",
        "CI: an IaC scanner runs in CI or pre-commit",
        "terraform: 1 file, 1 resource checked (infra/main.tf)",
    )


def test_clean_iac_passes(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.iac-scanning", {"Dockerfile": PINNED_IMAGE})
    assert (result.status, result.summary, result.findings) == (
        Status.PASS,
        "no misconfiguration in 1 resource",
        (),
    )


def test_unreadable_iac_is_unknown(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.iac-scanning", {"main.tf": 'resource "a" "b" {\n'})
    assert result.status is Status.UNKNOWN
    assert result.summary == "no IaC file could be read (listed)"
    assert [(s.path, s.line) for s in result.skipped] == [("main.tf", 2)]


def test_iac_only_in_fixtures_is_not_the_projects(tmp_path: Path) -> None:
    files = {"tests/fixtures/main.tf": OPEN_SSH, "examples/Dockerfile": "FROM ubuntu\n"}
    result = evaluate(tmp_path, "build.iac-scanning", files)
    # The inventory of deployment artefacts leaves fixture folders out, so the project has no IaC of its own.
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == (
        "no infrastructure as code (Terraform, Kubernetes, Helm, Dockerfile, CloudFormation, Bicep)"
    )
    assert result.findings == ()


def test_formats_the_engine_does_not_read_keep_the_base_verdict(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.iac-scanning", {"infra/main.bicep": "param x string\n"})
    assert result.status is Status.FAIL
    assert result.summary.startswith("IaC (bicep) is not scanned")


# -- operate.immutable-infrastructure -------------------------------------------------------------

POD_LATEST = """
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:latest
"""


def test_mutable_tags_turn_a_pass_into_partial(tmp_path: Path) -> None:
    files = {"Dockerfile": PINNED_IMAGE, "infra/main.tf": UNENCRYPTED_VOLUME, "k8s/pod.yaml": POD_LATEST}
    result = evaluate(tmp_path, "operate.immutable-infrastructure", files)
    assert result.status is Status.PARTIAL
    assert result.summary == "1 mutable image tag in deployment definitions"
    assert ids(result) == [("IAC-K8S-IMAGE-TAG", "k8s/pod.yaml", 8)]
    assert "k8s/pod.yaml:8: Pod/web: image 'nginx:latest' is latest" in result.evidence


def test_open_ssh_is_a_way_to_change_servers_by_hand(tmp_path: Path) -> None:
    files = {"Dockerfile": PINNED_IMAGE, "infra/main.tf": OPEN_SSH}
    result = evaluate(tmp_path, "operate.immutable-infrastructure", files)
    assert result.status is Status.PARTIAL
    assert result.summary == "1 way to change running servers or containers by hand"
    assert ids(result) == [("IAC-AWS-SG-OPEN-SSH", "infra/main.tf", 2)]


def test_clean_iac_keeps_the_base_verdict_with_a_note(tmp_path: Path) -> None:
    files = {"Dockerfile": PINNED_IMAGE, "infra/main.tf": UNENCRYPTED_VOLUME}
    result = evaluate(tmp_path, "operate.immutable-infrastructure", files)
    assert result.status is Status.PASS
    assert result.summary == "images come from pinned bases and the infrastructure is code"
    assert result.evidence[-1] == "IaC (2 resources): no open SSH/RDP, exec rights or mutable tags"
    assert result.findings == ()


def test_unpinned_base_images_are_reported_once(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM ubuntu\nUSER app\n", "k8s/pod.yaml": POD_LATEST}
    result = evaluate(tmp_path, "operate.immutable-infrastructure", files)
    assert result.status is Status.PARTIAL
    assert ids(result) == [
        ("DOCKER-UNPINNED-BASE-IMAGE", "Dockerfile", 1),
        ("IAC-K8S-IMAGE-TAG", "k8s/pod.yaml", 8),
    ]


# -- operate.no-humans-in-production --------------------------------------------------------------

EXEC_ROLE = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: debug
rules:
  - apiGroups: [""]
    resources: ["pods/exec"]
    verbs: ["create"]
"""


def test_open_ssh_and_exec_rights_fail(tmp_path: Path) -> None:
    files = {"infra/main.tf": OPEN_SSH, "k8s/role.yaml": EXEC_ROLE}
    result = evaluate(tmp_path, "operate.no-humans-in-production", files)
    assert result.status is Status.FAIL
    assert result.summary == (
        "the infrastructure opens SSH/RDP to the internet (1 rule); "
        "exec into running pods is granted by 1 role rule"
    )
    assert ids(result) == [
        ("IAC-AWS-SG-OPEN-SSH", "infra/main.tf", 2),
        ("IAC-K8S-RBAC-EXEC", "k8s/role.yaml", 6),
    ]


def test_clean_iac_stays_unknown_with_the_fact(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "operate.no-humans-in-production", {"infra/main.tf": UNENCRYPTED_VOLUME})
    assert result.status is Status.UNKNOWN
    assert result.evidence[-1] == (
        "IaC (1 resource): no SSH/RDP open to the internet and no role grants exec into pods"
    )
