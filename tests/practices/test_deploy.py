"""Deploy-stage practices: continuous delivery, feature toggles, environments as code."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.enums import Status
from secloop.practices.evaluators.deploy import DORA_NOTE, EVALUATORS
from secloop.sources.manifests import NOTHING_DEPLOYABLE
from tests.practices._repo_helpers_b import DEPLOY_ON_MAIN, evaluate, practices

LIBRARY = {"pyproject.toml": "[project]\nname = 'lib'\n", "src/lib/__init__.py": "VALUE = 1\n"}
SERVICE = {"Dockerfile": "FROM python:3.12-slim\n", "app/main.py": "print('hi')\n"}


def test_every_practice_of_the_stage_has_an_evaluator() -> None:
    ids = {p for p in practices() if p.startswith("deploy.")}
    assert ids == set(EVALUATORS)


# -- deploy.continuous-delivery ------------------------------------------------------------------

CD = "deploy.continuous-delivery"


def test_cd_passes_on_an_automatic_deploy_from_main(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        CD,
        {
            ".github/workflows/cd.yml": """\
            on:
              push:
                branches: [main]
            jobs:
              test:
                steps: [{run: pytest}]
              deploy:
                needs: test
                steps:
                  - run: kubectl apply -f k8s/
            """
        },
    )
    assert result.status is Status.PASS
    assert result.summary == "job 'deploy' deploys automatically on pushes to the main branch"
    assert result.evidence == (
        ".github/workflows/cd.yml:7: job 'deploy' runs `kubectl apply`, started by push to main",
        DORA_NOTE,
    )


def test_cd_passes_on_a_gitlab_environment_job(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        CD,
        {".gitlab-ci.yml": "deploy:\n  environment: production\n  script: ./release.sh\n"},
    )
    assert result.status is Status.PASS
    assert result.evidence[0] == (
        ".gitlab-ci.yml:1: job 'deploy' deploys to environment 'production', started by push to main"
    )


def test_cd_is_partial_when_deploys_are_started_by_hand(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        CD,
        {
            ".github/workflows/deploy.yml": """\
            on: workflow_dispatch
            jobs:
              ship:
                steps:
                  - run: helm upgrade --install web ./chart
            """
        },
    )
    assert result.status is Status.PARTIAL
    assert (
        result.summary
        == "deployments start by hand, from a tag or from a release — not automatically from main"
    )
    assert result.evidence[0] == (
        ".github/workflows/deploy.yml:3: job 'ship' runs `helm upgrade`, started by manual run"
    )
    assert result.score == 50


def test_cd_is_partial_when_the_trigger_lives_outside_the_repository(tmp_path: Path) -> None:
    result = evaluate(tmp_path, CD, {"Jenkinsfile": "node { sh 'terraform apply -auto-approve' }\n"})
    assert result.status is Status.PARTIAL
    assert result.summary == "deploy tooling found, but what starts it is configured outside the repository"
    assert result.evidence[0] == (
        "Jenkinsfile:1: job 'Jenkinsfile' runs `terraform apply`, "
        "started by trigger configured outside the file"
    )


def test_cd_fails_when_deployable_but_nothing_deploys(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        CD,
        {
            **SERVICE,
            ".github/workflows/ci.yml": "on: pull_request\njobs:\n  t:\n    steps: [{run: pytest}]\n",
        },
    )
    assert result.status is Status.FAIL
    assert result.summary == "the repository is deployable but no CI job deploys it"
    assert result.evidence == (
        "Dockerfile: Dockerfile",
        "CI files read: .github/workflows/ci.yml",
        DORA_NOTE,
    )


def test_cd_fails_without_any_ci(tmp_path: Path) -> None:
    result = evaluate(tmp_path, CD, SERVICE)
    assert result.status is Status.FAIL
    assert result.evidence[1] == "no CI configuration found"


def test_cd_is_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, CD, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == NOTHING_DEPLOYABLE
    assert result.evidence == (DORA_NOTE,)


def test_cd_reports_a_malformed_workflow_as_skipped(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        CD,
        {".github/workflows/cd.yml": DEPLOY_ON_MAIN, ".github/workflows/broken.yml": "on: push\njobs: [\n"},
    )
    assert result.status is Status.PASS
    assert [(s.path, s.line, s.column) for s in result.skipped] == [(".github/workflows/broken.yml", 3, 1)]
    assert result.skipped[0].reason.startswith("not valid YAML: ")


# -- deploy.feature-toggles ----------------------------------------------------------------------

FT = "deploy.feature-toggles"


@pytest.mark.parametrize(
    ("path", "code", "sdk"),
    [
        ("app/flags.py", "from openfeature import api\n", "OpenFeature"),
        ("app/flags.py", "from UnleashClient import UnleashClient\n", "Unleash"),
        ("web/flags.ts", "import { initialize } from 'unleash-proxy-client'\n", "Unleash"),
        ("app/flags.py", "import ldclient\n", "LaunchDarkly"),
        ("web/flags.js", "const Flagsmith = require('flagsmith-nodejs')\n", "Flagsmith"),
        ("web/flags.tsx", "import { GrowthBook } from '@growthbook/growthbook-react'\n", "GrowthBook"),
        ("svc/flags.go", 'import configcat "github.com/configcat/go-sdk/v9"\n', "ConfigCat"),
        ("web/flags.js", "import { SplitFactory } from '@splitsoftware/splitio'\n", "Split"),
        ("svc/flags.go", 'import "go.flipt.io/flipt/sdk/go"\n', "Flipt"),
        ("app/views.py", "from waffle import flag_is_active\n", "django-waffle"),
        ("app/flags.rb", "require 'flipper'\n", "Flipper"),
    ],
)
def test_feature_toggles_pass_on_each_sdk_import(tmp_path: Path, path: str, code: str, sdk: str) -> None:
    result = evaluate(tmp_path, FT, {"Dockerfile": "FROM x:1\n", path: "# flags\n" + code})
    assert result.status is Status.PASS
    assert result.summary == f"feature flags through {sdk}"
    assert result.evidence == (f"{path}:2: uses {sdk} ({code.strip()})",)


def test_feature_toggles_pass_on_a_declared_dependency(tmp_path: Path) -> None:
    files = {
        **SERVICE,
        "package.json": '{\n  "dependencies": {\n    "@launchdarkly/node-server-sdk": "9.0.0"\n  }\n}\n',
    }
    result = evaluate(tmp_path, FT, files)
    assert result.status is Status.PASS
    assert result.evidence == (
        'package.json:3: depends on LaunchDarkly ("@launchdarkly/node-server-sdk": "9.0.0")',
    )


def test_feature_toggles_fail_when_names_appear_only_in_data_or_comments(tmp_path: Path) -> None:
    files = {
        **SERVICE,
        "app/notes.py": "# import ldclient one day\nVENDORS = ['launchdarkly', 'flagsmith']\n",
    }
    result = evaluate(tmp_path, FT, files)
    assert result.status is Status.FAIL
    assert result.summary == "no feature-flag SDK in the application code or its dependencies"
    assert result.evidence == (
        "application code: 2 source files (deployable)",
        "looked for: OpenFeature, Unleash, LaunchDarkly, Flagsmith, GrowthBook, ConfigCat, Split, Flipt, "
        "django-waffle, Flipper",
    )


def test_home_grown_switches_are_partial(tmp_path: Path) -> None:
    files = {
        **SERVICE,
        "shop/features.py": "import yaml\n\ndef load_features(path='features.yaml'): ...\n",
        "features.yaml": "new_checkout: false\n",
    }
    result = evaluate(tmp_path, FT, files)
    assert result.status is Status.PARTIAL
    assert result.summary == "home-grown feature switches, without a feature-flag SDK or service"
    assert result.evidence[:2] == (
        "features.yaml: feature switches kept by the application",
        "shop/features.py: feature switches kept by the application",
    )
    assert result.evidence[2].startswith("looked for: OpenFeature, Unleash")


def test_switch_files_in_tests_do_not_count(tmp_path: Path) -> None:
    result = evaluate(tmp_path, FT, {**SERVICE, "tests/fixtures/flags.json": "{}\n"})
    assert result.status is Status.FAIL


def test_feature_toggles_are_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, FT, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary.startswith("a library, not a running application: no Dockerfile")


# -- deploy.environments-as-code -----------------------------------------------------------------

ENV = "deploy.environments-as-code"


def test_environments_as_code_pass_on_terraform_and_manifests(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        ENV,
        {
            "infra/main.tf": 'resource "aws_ecs_service" "web" {}\n',
            "k8s/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
        },
    )
    assert result.status is Status.PASS
    assert result.summary == "environments defined as code: Terraform/OpenTofu, Kubernetes manifests"
    assert result.evidence == ("Terraform/OpenTofu: infra/main.tf", "Kubernetes manifests: k8s/web.yaml")


def test_environments_as_code_pass_on_compose(tmp_path: Path) -> None:
    result = evaluate(tmp_path, ENV, {"docker-compose.prod.yml": "services:\n  web: {image: web:1}\n"})
    assert result.status is Status.PASS
    assert result.evidence == ("docker-compose: docker-compose.prod.yml",)


@pytest.mark.parametrize(
    ("files", "evidence"),
    [
        (SERVICE, ("Dockerfile: Dockerfile",)),
        ({"Procfile": "web: gunicorn app:app\n"}, ("platform config: Procfile",)),
    ],
)
def test_environments_as_code_partial_on_image_or_platform_only(
    tmp_path: Path, files: dict[str, str], evidence: tuple[str, ...]
) -> None:
    result = evaluate(tmp_path, ENV, files)
    assert result.status is Status.PARTIAL
    assert result.summary == "only the image or the platform config is code; the environment around it is not"
    assert result.evidence == evidence


def test_environments_as_code_fail_when_only_a_deploy_job_exists(tmp_path: Path) -> None:
    result = evaluate(tmp_path, ENV, {".github/workflows/cd.yml": DEPLOY_ON_MAIN})
    assert result.status is Status.FAIL
    assert result.evidence == (".github/workflows/cd.yml:5: job 'deploy' deploys",)


def test_environments_as_code_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, ENV, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == NOTHING_DEPLOYABLE


def test_environments_as_code_keep_malformed_manifests_as_skipped(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        ENV,
        {
            "infra/main.tf": "terraform {}\n",
            "k8s/broken.yaml": "apiVersion: v1\nkind: Service\nspec:\n  ports: [80\n",
        },
    )
    assert result.status is Status.PASS
    assert [(s.path, s.line, s.column) for s in result.skipped] == [("k8s/broken.yaml", 5, 1)]
    assert result.skipped[0].reason.startswith("not valid YAML: ")
