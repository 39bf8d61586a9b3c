"""Release-stage practices: on demand, blue/green, canary and A/B testing."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.practices.evaluators.release import EVALUATORS
from secloop.sources.manifests import NOTHING_DEPLOYABLE
from tests.practices._repo_helpers_b import DEPLOY_ON_MAIN, evaluate, git_repo, practices, run

LIBRARY = {"pyproject.toml": "[project]\nname = 'lib'\n", "src/lib/__init__.py": "VALUE = 1\n"}
SERVICE = {"Dockerfile": "FROM python:3.12-slim\n", "app/main.py": "print('hi')\n"}
NOT_GIT = "not a git repository: release tags could not be read"


def test_every_practice_of_the_stage_has_an_evaluator() -> None:
    assert {p for p in practices() if p.startswith("release.")} == set(EVALUATORS)


# -- release.on-demand ---------------------------------------------------------------------------

OD = "release.on-demand"


def test_on_demand_passes_on_a_tag_triggered_publish(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        OD,
        {
            ".github/workflows/release.yml": """\
            on:
              push:
                tags: ['v*']
            jobs:
              publish:
                steps:
                  - run: npm publish --provenance
            """
        },
    )
    assert result.status is Status.PASS
    assert result.summary == "job 'publish' releases on tag push"
    assert result.evidence == (
        ".github/workflows/release.yml:5: job 'publish' runs `npm publish`, started by tag push",
        NOT_GIT,
    )


def test_on_demand_passes_on_a_release_event_image_push(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        OD,
        {
            ".github/workflows/image.yml": """\
            on:
              release: {types: [published]}
            jobs:
              image:
                steps:
                  - uses: docker/build-push-action@v6
            """
        },
    )
    assert result.status is Status.PASS
    assert result.evidence[0] == (
        ".github/workflows/image.yml:4: job 'image' runs `uses: docker/build-push-action`, "
        "started by published release"
    )


def test_on_demand_passes_on_continuous_deployment(tmp_path: Path) -> None:
    result = evaluate(tmp_path, OD, {".github/workflows/cd.yml": DEPLOY_ON_MAIN})
    assert result.status is Status.PASS
    assert result.summary == "job 'deploy' releases on push to main"


def test_on_demand_counts_matching_tags_only(tmp_path: Path) -> None:
    root = git_repo(tmp_path, SERVICE, tags=("v1.0.0", "nightly", "v1.1.0"))
    result = run(root, OD)
    assert result.status is Status.PARTIAL
    assert result.summary == "releases are tagged or tooled, but no CI job publishes or deploys them"
    assert result.evidence == ("git: 2 tags match 'v*' (latest v1.1.0, 2024-05-01)",)


def test_on_demand_uses_the_configured_tag_pattern(tmp_path: Path) -> None:
    root = git_repo(tmp_path, SERVICE, tags=("v1.0.0", "release-2024.05"))
    result = run(root, OD, Config(release_tag_pattern="release-*"))
    assert result.evidence == ("git: 1 tags match 'release-*' (latest release-2024.05, 2024-05-01)",)


def test_on_demand_is_partial_with_release_tooling_only(tmp_path: Path) -> None:
    result = evaluate(tmp_path, OD, {**SERVICE, ".goreleaser.yaml": "builds: []\n"})
    assert result.status is Status.PARTIAL
    assert result.evidence == (NOT_GIT, ".goreleaser.yaml: release tooling configured")


def test_on_demand_fails_without_release_automation_or_tags(tmp_path: Path) -> None:
    root = git_repo(tmp_path, SERVICE)
    result = run(root, OD)
    assert result.status is Status.FAIL
    assert result.summary == "no CI job publishes or deploys a release, and no release tags"
    assert result.evidence == ("git: no tag matches release_tag_pattern 'v*'",)


def test_on_demand_pr_only_publishing_does_not_count(tmp_path: Path) -> None:
    files = {".github/workflows/pr.yml": "on: pull_request\njobs:\n  p:\n    steps: [{run: npm publish}]\n"}
    result = evaluate(tmp_path, OD, {**SERVICE, **files})
    assert result.status is Status.FAIL


def test_on_demand_not_applicable_with_nothing_to_release(tmp_path: Path) -> None:
    result = evaluate(tmp_path, OD, {"README.md": "# notes\n"})
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == "nothing to release: no source code and nothing deployable"


# -- release.blue-green --------------------------------------------------------------------------

BG = "release.blue-green"

ARGO_BLUE_GREEN = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 3
  strategy:
    blueGreen:
      activeService: web-active
      previewService: web-preview
"""

FLAGGER = """\
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: web
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  analysis:
    interval: 1m
{analysis}
"""


def _flagger(analysis: str) -> str:
    return FLAGGER.replace("{analysis}", analysis)


def test_blue_green_passes_on_an_argo_rollout(tmp_path: Path) -> None:
    result = evaluate(tmp_path, BG, {"k8s/rollout.yaml": ARGO_BLUE_GREEN})
    assert result.status is Status.PASS
    assert result.summary == "a blue/green strategy is configured"
    assert result.evidence == ("k8s/rollout.yaml:8: Argo Rollout 'web' uses blueGreen",)


def test_blue_green_passes_on_flagger_iterations_without_step_weights(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, BG, {"deploy/canary.yaml": _flagger("    iterations: 10\n    threshold: 2\n")}
    )
    assert result.status is Status.PASS
    assert result.evidence == ("deploy/canary.yaml:9: Flagger Canary 'web' runs a blue/green analysis",)


def test_blue_green_passes_on_flagger_strategy_key(tmp_path: Path) -> None:
    text = _flagger("    threshold: 2\n").replace("  analysis:", "  strategy: blue-green\n  analysis:")
    result = evaluate(tmp_path, BG, {"deploy/canary.yaml": text})
    assert result.status is Status.PASS
    assert result.evidence == ("deploy/canary.yaml:7: Flagger Canary 'web' runs a blue/green analysis",)


def _deployment(name: str, colour: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  template:
    metadata:
      labels: {{app: web, slot: {colour}}}
"""


SERVICE_BLUE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector:
    app: web
    slot: blue
"""


def test_blue_green_passes_on_a_service_selector_switch(tmp_path: Path) -> None:
    manifests = "---\n".join(
        [_deployment("web-blue", "blue"), _deployment("web-green", "green"), SERVICE_BLUE]
    )
    result = evaluate(tmp_path, BG, {"k8s/web.yaml": manifests})
    assert result.status is Status.PASS
    assert result.evidence == (
        "k8s/web.yaml:23: Service 'web' selects slot=blue between Deployments labelled blue and green "
        "(web-blue, web-green)",
    )


def test_blue_green_needs_both_colours(tmp_path: Path) -> None:
    manifests = "---\n".join([_deployment("web-blue", "blue"), SERVICE_BLUE])
    result = evaluate(tmp_path, BG, {"k8s/web.yaml": manifests})
    assert result.status is Status.FAIL
    assert result.summary == "deployable, but no blue/green strategy is configured"
    assert result.evidence == ("looked at 2 Kubernetes objects, 1 IaC/platform files and 0 CI files",)


@pytest.mark.parametrize(
    ("files", "evidence"),
    [
        (
            {
                "infra/deploy.tf": 'resource "aws_codedeploy_deployment_group" "web" {\n'
                '  deployment_style {\n    deployment_type = "BLUE_GREEN"\n  }\n}\n'
            },
            'infra/deploy.tf:3: AWS CodeDeploy blue/green (deployment_type = "BLUE_GREEN")',
        ),
        (
            {"appspec.yaml": "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n"},
            "appspec.yaml:3: CodeDeploy ECS appspec (blue/green by design) (- TargetService:)",
        ),
        (
            {
                "Dockerfile": "FROM a:1\n",
                ".github/workflows/cd.yml": "on: workflow_dispatch\njobs:\n  swap:\n    steps:\n"
                "      - run: aws elasticbeanstalk swap-environment-cnames\n",
            },
            ".github/workflows/cd.yml:5: environment swap in CI "
            "(- run: aws elasticbeanstalk swap-environment-cnames)",
        ),
    ],
)
def test_blue_green_passes_on_aws_and_ci_swaps(tmp_path: Path, files: dict[str, str], evidence: str) -> None:
    result = evaluate(tmp_path, BG, files)
    assert result.status is Status.PASS
    assert result.evidence == (evidence,)


def test_blue_green_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, BG, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == NOTHING_DEPLOYABLE


def test_blue_green_keeps_documents_before_a_syntax_error(tmp_path: Path) -> None:
    result = evaluate(tmp_path, BG, {"k8s/rollout.yaml": ARGO_BLUE_GREEN + "---\nkind: [broken\n"})
    assert result.status is Status.PASS
    assert [(s.path, s.line) for s in result.skipped] == [("k8s/rollout.yaml", 13)]


# -- release.canary ------------------------------------------------------------------------------

CAN = "release.canary"

ARGO_CANARY = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api}
spec:
  strategy:
    canary:
      steps:
        - setWeight: 20
        - pause: {duration: 5m}
"""


def test_canary_passes_on_argo_analysis_steps(tmp_path: Path) -> None:
    text = (
        ARGO_CANARY
        + "        - analysis:\n            templates:\n              - templateName: success-rate\n"
    )
    result = evaluate(tmp_path, CAN, {"k8s/api.yaml": text})
    assert result.status is Status.PASS
    assert result.summary == "canary releases are judged automatically"
    assert result.evidence == (
        "k8s/api.yaml:6: Argo Rollout 'api' canary with 3 steps and automated analysis (success-rate)",
    )


def test_canary_passes_on_argo_background_analysis(tmp_path: Path) -> None:
    text = ARGO_CANARY + "      analysis:\n        templates:\n          - clusterTemplateName: errors\n"
    result = evaluate(tmp_path, CAN, {"k8s/api.yaml": text})
    assert result.status is Status.PASS
    assert result.evidence == (
        "k8s/api.yaml:6: Argo Rollout 'api' canary with 2 steps and automated analysis (errors)",
    )


def test_canary_is_partial_on_argo_steps_without_analysis(tmp_path: Path) -> None:
    result = evaluate(tmp_path, CAN, {"k8s/api.yaml": ARGO_CANARY})
    assert result.status is Status.PARTIAL
    assert result.summary == "canary steps exist, but no automated analysis judges them"
    assert result.evidence == (
        "k8s/api.yaml:6: Argo Rollout 'api' canary with 2 steps but no analysis: "
        "someone has to watch each step",
    )


def test_canary_passes_on_flagger_metrics(tmp_path: Path) -> None:
    analysis = "    stepWeight: 10\n    maxWeight: 50\n    metrics:\n      - name: request-success-rate\n"
    result = evaluate(tmp_path, CAN, {"canary.yaml": _flagger(analysis)})
    assert result.status is Status.PASS
    assert result.evidence == ("canary.yaml:11: Flagger Canary 'web' judges metrics (request-success-rate)",)


def test_canary_is_partial_on_flagger_weights_without_metrics(tmp_path: Path) -> None:
    result = evaluate(tmp_path, CAN, {"canary.yaml": _flagger("    stepWeight: 10\n")})
    assert result.status is Status.PARTIAL
    assert result.evidence == ("canary.yaml:9: Flagger Canary 'web' shifts traffic without metrics",)


def test_canary_does_not_count_flagger_ab_routing(tmp_path: Path) -> None:
    analysis = "    iterations: 10\n    match:\n      - headers: {x-canary: {exact: insider}}\n"
    result = evaluate(tmp_path, CAN, {"canary.yaml": _flagger(analysis)})
    assert result.status is Status.FAIL
    assert result.summary == "deployable, but no canary strategy"


def test_canary_passes_on_kayenta(tmp_path: Path) -> None:
    files = {**SERVICE, "spinnaker/pipeline.json": '{"stages": [{"type": "kayentaCanary"}]}\n'}
    result = evaluate(tmp_path, CAN, files)
    assert result.status is Status.PASS
    assert result.evidence == (
        "spinnaker/pipeline.json:1: Kayenta/Spinnaker canary analysis "
        '({"stages": [{"type": "kayentaCanary"}]})',
    )


SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      DeploymentPreference:
        Type: Canary10Percent5Minutes
"""


def test_canary_codedeploy_with_alarms_passes_without_is_partial(tmp_path: Path) -> None:
    judged = evaluate(tmp_path / "a", CAN, {"template.yaml": SAM + "        Alarms: [!Ref ErrorsAlarm]\n"})
    assert judged.status is Status.PASS
    assert judged.evidence == (
        "template.yaml:8: AWS CodeDeploy canary Type: Canary10Percent5Minutes rolled back on alarms",
    )
    unjudged = evaluate(tmp_path / "b", CAN, {"template.yaml": SAM})
    assert unjudged.status is Status.PARTIAL
    assert unjudged.evidence == (
        "template.yaml:8: AWS CodeDeploy canary Type: Canary10Percent5Minutes without alarms",
    )


def test_canary_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, CAN, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE


# -- release.ab-testing --------------------------------------------------------------------------

AB = "release.ab-testing"


def test_ab_testing_passes_on_an_experimentation_sdk(tmp_path: Path) -> None:
    result = evaluate(tmp_path, AB, {**SERVICE, "app/exp.py": "from statsig import statsig\n"})
    assert result.status is Status.PASS
    assert result.summary == "experiments through Statsig"
    assert result.evidence == ("app/exp.py:1: uses Statsig (from statsig import statsig)",)


def test_ab_testing_passes_on_unleash_variants_next_to_the_dependency(tmp_path: Path) -> None:
    files = {
        **SERVICE,
        "requirements.txt": "UnleashClient==6.0\n",
        "app/exp.py": "variant = client.get_variant('checkout', context)\n",
    }
    result = evaluate(tmp_path, AB, files)
    assert result.status is Status.PASS
    assert result.evidence == (
        "app/exp.py:1: uses Unleash variants (variant = client.get_variant('checkout', context))",
    )


@pytest.mark.parametrize(
    "files",
    [
        {"app/exp.py": "variant = thing.get_variant('x')\n"},  # experiment API without the vendor
        {"requirements.txt": "launchdarkly-server-sdk==9\n", "app/f.py": "import ldclient\n"},  # flags only
    ],
)
def test_ab_testing_fails_on_flags_without_experiments(tmp_path: Path, files: dict[str, str]) -> None:
    result = evaluate(tmp_path, AB, {**SERVICE, **files})
    assert result.status is Status.FAIL
    assert result.summary == "no experimentation SDK in the application code or its dependencies"


def test_ab_testing_posthog_multivariate_flags(tmp_path: Path) -> None:
    files = {
        **SERVICE,
        "package.json": '{"dependencies": {"posthog-node": "4"}}\n',
        "app/exp.ts": "const v = await posthog.getFeatureFlag('new-checkout', id)\n",
    }
    result = evaluate(tmp_path, AB, files)
    assert result.status is Status.PASS
    assert result.summary == "experiments through PostHog experiments"


def test_ab_testing_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, AB, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
