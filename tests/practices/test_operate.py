"""Operate-stage practices: immutable infrastructure (and DOCKER-UNPINNED-BASE-IMAGE), no humans in
production, production scanning."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.enums import Confidence, Severity, Status
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Location
from secloop.iac.base_image import UNPINNED_BASE_IMAGE
from secloop.practices.evaluators.operate import EVALUATORS, RULES, base_images
from secloop.sources.manifests import NOTHING_DEPLOYABLE
from tests.practices._repo_helpers_b import DEPLOY_ON_MAIN, evaluate, practices

LIBRARY = {"pyproject.toml": "[project]\nname = 'lib'\n", "src/lib/__init__.py": "VALUE = 1\n"}
TERRAFORM = {"infra/main.tf": 'resource "aws_ecs_service" "web" {}\n'}
RULE = "DOCKER-UNPINNED-BASE-IMAGE"


def test_every_practice_of_the_stage_has_an_evaluator_and_declares_its_rule() -> None:
    assert {p for p in practices() if p.startswith("operate.")} == set(EVALUATORS)
    assert practices()["operate.immutable-infrastructure"].rules[0] == RULE
    assert RULES == ()  # declared once, by the IaC engine (secloop.iac.base_image)
    assert UNPINNED_BASE_IMAGE.id == RULE
    assert UNPINNED_BASE_IMAGE.severity is Severity.MEDIUM
    assert UNPINNED_BASE_IMAGE.help_uri.endswith("#docker-unpinned-base-image")


# -- Dockerfile base images ----------------------------------------------------------------------


def test_base_images_resolve_args_stages_flags_and_continuations() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG PY=3.12\n"
        "ARG BASE\n"
        "FROM --platform=$BUILDPLATFORM python:${PY}-slim AS build\n"
        "RUN pip install \\\n"
        "    app\n"
        "FROM build\n"
        "FROM scratch\n"
        "from ${BASE}\n"
        "FROM \\\n"
        "  localhost:5000/team/app\n"
        "FROM localhost:5000/team/app:1.2\n"
        "FROM alpine@sha256:" + "a" * 64 + "\n"
        "FROM node:latest\n"
    )
    found = [(i.line, i.column, i.image, i.pin) for i in base_images("Dockerfile", text)]
    assert found == [
        (4, 32, "python:3.12-slim", "tag"),
        (7, 6, "build", "stage"),
        (8, 6, "scratch", "scratch"),
        (9, 6, "${BASE}", "variable"),
        (10, 1, "localhost:5000/team/app", "untagged"),
        (12, 6, "localhost:5000/team/app:1.2", "tag"),
        (13, 6, "alpine@sha256:" + "a" * 64, "digest"),
        (14, 6, "node:latest", "latest"),
    ]


IMMUTABLE = "operate.immutable-infrastructure"


def test_unpinned_base_images_are_findings_and_make_the_practice_partial(tmp_path: Path) -> None:
    dockerfile = "FROM python\nRUN true\nFROM node:latest AS web\n"
    result = evaluate(tmp_path, IMMUTABLE, {"Dockerfile": dockerfile, **TERRAFORM})
    assert result.status is Status.PARTIAL
    assert result.summary == "2 base image(s) not pinned"
    assert [(f.rule_id, f.primary) for f in result.findings] == [
        (RULE, Location("Dockerfile", 1, 6, snippet="FROM python")),
        (RULE, Location("Dockerfile", 3, 6, snippet="FROM node:latest AS web")),
    ]
    first, second = result.findings
    assert first.severity is Severity.MEDIUM
    assert first.confidence is Confidence.HIGH
    assert first.message == (
        "base image 'python' is not pinned: no tag means :latest, which moves; pin a version tag or a digest"
    )
    assert second.message.startswith("base image 'node:latest' is not pinned: the :latest tag moves")
    assert first.fingerprint == keyed_fingerprint(RULE, "Dockerfile", "python")
    assert first.properties == (("image", "python"),)
    assert result.evidence[:2] == (
        "Dockerfile:1: base image 'python' is untagged",
        "Dockerfile:3: base image 'node:latest' is latest",
    )


def test_unpinned_fingerprint_survives_line_shifts(tmp_path: Path) -> None:
    before = evaluate(tmp_path / "a", IMMUTABLE, {"Dockerfile": "FROM nginx\n", **TERRAFORM})
    after = evaluate(tmp_path / "b", IMMUTABLE, {"Dockerfile": "# base\n\nFROM   nginx\n", **TERRAFORM})
    assert before.findings[0].fingerprint == after.findings[0].fingerprint
    assert after.findings[0].primary == Location("Dockerfile", 3, 8, snippet="FROM   nginx")


def test_pinned_images_and_infrastructure_as_code_pass(tmp_path: Path) -> None:
    dockerfile = (
        "ARG PY=3.12\nFROM python:${PY} AS build\nFROM build\nFROM gcr.io/distroless/base@sha256:" + "b" * 64
    )
    result = evaluate(tmp_path, IMMUTABLE, {"Dockerfile": dockerfile + "\n", **TERRAFORM})
    assert result.status is Status.PASS
    assert result.findings == ()
    assert result.summary == "images come from pinned bases and the infrastructure is code"
    assert result.evidence == (
        f"pinned base images: gcr.io/distroless/base@sha256:{'b' * 64}, python:3.12",
        "Terraform/OpenTofu: infra/main.tf",
    )


def test_build_time_base_images_are_noted_not_flagged(tmp_path: Path) -> None:
    result = evaluate(tmp_path, IMMUTABLE, {"Dockerfile": "ARG BASE\nFROM $BASE\n", **TERRAFORM})
    assert result.status is Status.PASS
    assert result.findings == ()
    assert result.evidence[0] == "Dockerfile:2: base image '$BASE' is set at build time"


@pytest.mark.parametrize(
    ("files", "evidence"),
    [
        (
            {
                ".github/workflows/cd.yml": "on: push\njobs:\n  cfg:\n    steps:\n"
                "      - run: ansible-playbook -i inventories/prod site.yml\n"
            },
            ".github/workflows/cd.yml:5: runs configuration management "
            "(- run: ansible-playbook -i inventories/prod site.yml)",
        ),
        (
            {
                "scripts/deploy.sh": "#!/bin/sh\nssh -o BatchMode=yes deploy@web1.example.invalid "
                "'sudo apt-get install -y nginx'\n"
            },
            "scripts/deploy.sh:2: changes a host over SSH (ssh -o BatchMode=yes deploy@web1.example.invalid "
            "'sudo apt-get install -y nginx')",
        ),
        (
            {".gitlab-ci.yml": "deploy:\n  script:\n    - scp dist/app.tar.gz deploy@$PROD_HOST:/srv/app/\n"},
            ".gitlab-ci.yml:3: changes a host over SSH (- scp dist/app.tar.gz deploy@$PROD_HOST:/srv/app/)",
        ),
    ],
)
def test_servers_changed_in_place_fail(tmp_path: Path, files: dict[str, str], evidence: str) -> None:
    result = evaluate(tmp_path, IMMUTABLE, {"Dockerfile": "FROM nginx:1.27\n", **files})
    assert result.status is Status.FAIL
    assert result.summary == "servers are changed in place from CI or scripts"
    assert result.evidence == (evidence,)


def test_ssh_without_changes_is_not_an_in_place_change(tmp_path: Path) -> None:
    files = {"scripts/logs.sh": "ssh ops@$LOG_HOST tail -f /var/log/app.log\n", **TERRAFORM}
    result = evaluate(tmp_path, IMMUTABLE, {"Dockerfile": "FROM nginx:1.27\n", **files})
    assert result.status is Status.PASS


@pytest.mark.parametrize(
    ("files", "summary"),
    [
        ({"Dockerfile": "FROM nginx:1.27\n"}, "images are built from code but the infrastructure is not"),
        (
            {**TERRAFORM, "ansible/site.yml": "- hosts: web\n  roles: [nginx]\n"},
            "Ansible playbooks suggest servers configured in place",
        ),
    ],
)
def test_immutable_partial_cases(tmp_path: Path, files: dict[str, str], summary: str) -> None:
    result = evaluate(tmp_path, IMMUTABLE, files)
    assert result.status is Status.PARTIAL
    assert result.summary == summary


def test_immutable_fails_when_a_deploy_has_neither_images_nor_iac(tmp_path: Path) -> None:
    result = evaluate(tmp_path, IMMUTABLE, {".github/workflows/cd.yml": DEPLOY_ON_MAIN})
    assert result.status is Status.FAIL
    assert (
        result.summary == "the repository deploys, but neither images nor infrastructure are defined as code"
    )


def test_immutable_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, IMMUTABLE, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == NOTHING_DEPLOYABLE


# -- operate.no-humans-in-production -------------------------------------------------------------

HUMANS = "operate.no-humans-in-production"


def test_ssh_to_hosts_fails_with_file_and_line(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        HUMANS,
        {
            "Dockerfile": "FROM nginx:1.27\n",
            ".github/workflows/cd.yml": """\
            on: push
            jobs:
              deploy:
                steps:
                  - uses: appleboy/ssh-action@v1
                    with:
                      host: ${{ secrets.HOST }}
            """,
            "Makefile": "deploy:\n\trsync -az dist/ deploy@web1.example.invalid:/srv/app\n",
        },
    )
    assert result.status is Status.FAIL
    assert result.summary == "2 place(s) reach hosts over SSH: keys to production shells exist"
    assert result.evidence == (
        ".github/workflows/cd.yml:5: - uses: appleboy/ssh-action@v1",
        "Makefile:2: rsync -az dist/ deploy@web1.example.invalid:/srv/app",
    )


def test_git_over_ssh_and_key_handling_are_not_host_access(tmp_path: Path) -> None:
    script = (
        "mkdir -p ~/.ssh\n"
        "ssh-keyscan github.com >> ~/.ssh/known_hosts\n"
        "ssh -T git@github.com\n"
        "git clone ssh://git@github.com/o/r.git\n"
        "# ssh deploy@old-host.example.invalid\n"
        'export GIT_SSH_COMMAND="ssh -i key"\n'
    )
    result = evaluate(tmp_path, HUMANS, {"Dockerfile": "FROM nginx:1.27\n", "scripts/setup.sh": script})
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "who logs in to production is recorded by cloud IAM and audit logs, which secloop cannot read yet"
    )
    assert result.evidence == ("no ssh/scp/rsync to hosts in 1 CI files and scripts",)


def test_no_humans_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, HUMANS, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE


# -- operate.production-scanning -----------------------------------------------------------------

SCAN = "operate.production-scanning"


def test_scheduled_image_scan_passes(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        SCAN,
        {
            "Dockerfile": "FROM nginx:1.27\n",
            ".github/workflows/nightly.yml": """\
            on:
              schedule: [{cron: '0 4 * * *'}]
            jobs:
              scan:
                steps:
                  - run: trivy image --exit-code 1 ghcr.io/o/app:latest
            """,
        },
    )
    assert result.status is Status.PASS
    assert result.summary == "job 'scan' scans on a schedule"
    assert result.evidence == (
        ".github/workflows/nightly.yml:4: job 'scan' runs `trivy image` on a schedule",
    )


def test_gitlab_scheduled_scan_passes(tmp_path: Path) -> None:
    ci = 'grype:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "schedule"\n  script: grype registry/app:1\n'
    result = evaluate(tmp_path, SCAN, {"Dockerfile": "FROM nginx:1.27\n", ".gitlab-ci.yml": ci})
    assert result.status is Status.PASS
    assert result.evidence == (".gitlab-ci.yml:1: job 'grype' runs `grype` on a schedule",)


def test_scanners_on_push_only_fail_and_are_named(tmp_path: Path) -> None:
    ci = "on:\n  push:\n    branches: [main]\njobs:\n  scan:\n    steps:\n"
    ci += "      - uses: anchore/scan-action@v6\n"
    result = evaluate(tmp_path, SCAN, {"Dockerfile": "FROM nginx:1.27\n", ".github/workflows/ci.yml": ci})
    assert result.status is Status.FAIL
    assert result.summary == "no scheduled scan of what runs in production"
    assert result.evidence == (
        ".github/workflows/ci.yml:5: job 'scan' runs `uses: anchore/scan-action` only on push to main",
    )


def test_no_scanner_fails(tmp_path: Path) -> None:
    result = evaluate(tmp_path, SCAN, {".github/workflows/cd.yml": DEPLOY_ON_MAIN})
    assert result.status is Status.FAIL
    assert result.evidence == ("no scanner in 1 CI files",)


def test_production_scanning_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, SCAN, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == NOTHING_DEPLOYABLE
