"""The deployment-artefact sources: YAML with lines, CI jobs, the inventory and application code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from secloop.core.model import Skipped
from secloop.sources import delivery_jobs as dj
from secloop.sources import yaml_lines
from secloop.sources.manifests import (
    NOTHING_DEPLOYABLE,
    Sdk,
    app_code,
    find_sdks,
    helm_untemplate,
    inventory,
    operator_files,
    preview,
)
from secloop.sources.repo import Repo
from secloop.sources.yaml_lines import YamlMap, get_map, load_yaml
from tests.practices._repo_helpers_b import write

# -- YAML with lines -----------------------------------------------------------------------------


def test_load_yaml_keeps_key_lines_across_documents() -> None:
    docs, skipped = load_yaml("a: 1\nb:\n  c: 2\n---\n# comment\nkind: X\n", "f.yaml")
    assert skipped is None
    assert docs == [{"a": 1, "b": {"c": 2}}, {"kind": "X"}]
    first, second = docs
    assert isinstance(first, YamlMap)
    assert isinstance(second, YamlMap)
    assert first.line_of("b") == 2
    assert first["b"].line_of("c") == 3
    assert second.line_of("kind") == 6
    assert second.line_of("missing") == second.line == 6


def test_load_yaml_reads_merge_keys_and_custom_tags() -> None:
    text = "base: &b {k: 1}\nx:\n  <<: *b\n  z: 2\nref: !Ref Bucket\nlist: !GetAtt [a, b]\nmap: !Tag {q: 1}\n"
    docs, skipped = load_yaml(text, "cfn.yaml")
    assert skipped is None
    assert docs[0]["x"] == {"k": 1, "z": 2}
    assert docs[0]["ref"] == "Bucket"
    assert docs[0]["list"] == ["a", "b"]
    assert docs[0]["map"] == {"q": 1}


def test_malformed_yaml_is_a_skipped_with_line_and_column_not_an_exception() -> None:
    docs, skipped = load_yaml("ok: 1\n---\nkey: [unclosed\nnext: 2\n", "bad.yaml")
    assert docs == [{"ok": 1}]
    assert skipped is not None
    assert skipped.path == "bad.yaml"
    assert skipped.reason.startswith("not valid YAML: ")
    assert (skipped.line, skipped.column) == (4, 5)


def test_non_scalar_keys_and_recursion_are_skipped() -> None:
    _, skipped = load_yaml("? [1, 2]\n: 3\n", "k.yaml")
    assert skipped == Skipped("k.yaml", "not valid YAML: found a mapping key that is not a scalar", 1, 3)
    _, recursive = load_yaml("a: &x [*x]\n", "r.yaml")
    assert recursive is not None
    assert recursive.line == 1


def test_get_map_follows_mappings_only() -> None:
    docs, _ = load_yaml("a:\n  b:\n    c: 1\n  l: [1]\n", "g.yaml")
    assert get_map(docs[0], "a", "b") == {"c": 1}
    assert get_map(docs[0], "a", "l") is None
    assert get_map(docs[0], "a", "b", "c", "d") is None


# -- CI jobs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("push", {dj.MAIN, dj.TAGS}),
        (["push", "pull_request"], {dj.MAIN, dj.TAGS, dj.PULL_REQUEST}),
        ({"push": {"branches": ["main"]}}, {dj.MAIN}),
        ({"push": {"branches": ["release/*"]}}, set()),
        ({"push": {"branches": ["**", "!main", "!master", "!trunk"]}}, set()),
        ({"push": {"branches-ignore": ["main"]}}, set()),
        ({"push": {"branches-ignore": ["dev"]}}, {dj.MAIN}),
        ({"push": {"tags": ["v*"]}}, {dj.TAGS}),
        ({"push": {"branches": ["main"], "tags": ["v*"]}}, {dj.MAIN, dj.TAGS}),
        ({"workflow_run": {"workflows": ["CI"], "branches": ["master"]}}, {dj.MAIN}),
        ({"workflow_run": {"workflows": ["CI"], "branches": ["dev"]}}, set()),
        ({"workflow_dispatch": None, "release": {"types": ["published"]}}, {dj.MANUAL, dj.RELEASE}),
        ({"schedule": [{"cron": "0 3 * * *"}], "workflow_call": None}, {dj.SCHEDULE, dj.CALLED}),
        ({"issues": None}, {dj.OTHER}),
        (None, set()),
    ],
)
def test_github_triggers(on: Any, expected: set[str]) -> None:
    assert dj.github_triggers(on) == frozenset(expected)


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ({"script": ["x"]}, {dj.MAIN}),
        ({"when": "manual"}, {dj.MANUAL}),
        ({"rules": [{"if": "$CI_COMMIT_TAG"}]}, {dj.TAGS}),
        ({"rules": [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}, {"when": "never"}]}, {dj.SCHEDULE}),
        (
            {"rules": [{"if": "$CI_MERGE_REQUEST_IID"}, {"if": "$CI_COMMIT_BRANCH", "when": "manual"}]},
            {
                dj.PULL_REQUEST,
                dj.MANUAL,
            },
        ),
        ({"rules": [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]}, {dj.MAIN}),
        ({"only": ["tags"]}, {dj.TAGS}),
        ({"only": "main"}, {dj.MAIN}),
        ({"only": {"refs": ["schedules", "web", "feature"]}}, {dj.SCHEDULE, dj.MANUAL, dj.OTHER}),
    ],
)
def test_gitlab_triggers(job: dict[str, Any], expected: set[str]) -> None:
    assert dj.gitlab_triggers(job) == frozenset(expected)


def _jobs(tmp_path: Path, files: dict[str, str]) -> dict[str, dj.CiJob]:
    write(tmp_path, files)
    return {job.name: job for job in inventory(Repo(tmp_path)).jobs}


def test_github_jobs_environment_tools_and_lines(tmp_path: Path) -> None:
    jobs = _jobs(
        tmp_path,
        {
            ".github/workflows/cd.yml": """\
            on: [push, workflow_dispatch]
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
                  - run: |
                      helm repo add bitnami https://charts.bitnami.com
                      make install
              deploy:
                environment: {name: production, url: https://example.invalid}
                steps:
                  - run: echo deploying
              pages:
                environment: github-pages
                steps:
                  - uses: actions/deploy-pages@v4
              pypi:
                environment: pypi
                steps:
                  - uses: pypa/gh-action-pypi-publish@release/v1
              tag-only:
                if: startsWith(github.ref, 'refs/tags/')
                steps:
                  - run: kubectl -n prod apply -f k8s/
              fly:
                steps:
                  - uses: superfly/flyctl-actions/setup-flyctl@master
              scan:
                if: github.event_name == 'workflow_dispatch'
                steps:
                  - uses: aquasecurity/trivy-action@0.28.0
                    with: {scan-type: image}
              nightly:
                if: github.event_name == 'schedule'
                steps:
                  - run: echo
            """
        },
    )
    assert jobs["build"].line == 3
    assert jobs["build"].deploys is False
    assert jobs["deploy"].environment == "production"
    assert jobs["deploy"].deploys is True
    assert jobs["deploy"].triggers == frozenset({dj.MAIN, dj.TAGS, dj.MANUAL})
    assert jobs["pages"].deploy_tool is None
    assert jobs["pages"].deploys is False
    assert jobs["pypi"].publish_tool == "uses: pypa/gh-action-pypi-publish"
    assert jobs["pypi"].deploys is False
    assert jobs["tag-only"].deploy_tool == "kubectl -n prod apply"
    assert jobs["tag-only"].triggers == frozenset({dj.TAGS, dj.MANUAL})
    assert jobs["fly"].deploy_tool == "uses: superfly/flyctl-actions"
    assert jobs["scan"].scan_tool == "uses: aquasecurity/trivy-action"
    assert jobs["scan"].triggers == frozenset({dj.MANUAL})
    assert jobs["nightly"].triggers == frozenset({dj.SCHEDULE})
    assert jobs["deploy"].describe_triggers() == "push to main, manual run, tag push"
    assert jobs["deploy"].where == ".github/workflows/cd.yml:10"


def test_reusable_workflow_jobs_inherit_their_callers_triggers(tmp_path: Path) -> None:
    jobs = _jobs(
        tmp_path,
        {
            ".github/workflows/main.yml": """\
            on: {push: {branches: [main]}}
            jobs:
              call:
                uses: ./.github/workflows/deploy.yml
                secrets: inherit
            """,
            ".github/workflows/deploy.yml": """\
            on: workflow_call
            jobs:
              ship:
                steps:
                  - run: helm upgrade --install web ./chart
            """,
        },
    )
    assert jobs["ship"].triggers == frozenset({dj.MAIN})
    assert jobs["call"].commands == ("uses: ./.github/workflows/deploy.yml",)


def test_gitlab_jobs_and_other_ci_as_text(tmp_path: Path) -> None:
    jobs = _jobs(
        tmp_path,
        {
            ".gitlab-ci.yml": """\
            stages: [build, deploy]
            .template:
              script: [echo]
            build:
              script: make
            production:
              stage: deploy
              environment:
                name: production
              script:
                - - terraform apply -auto-approve
              when: manual
            downstream:
              trigger: group/project
            """,
            "Jenkinsfile": "pipeline { stages { stage('d') { steps { sh 'kubectl apply -f x' } } } }\n",
        },
    )
    assert sorted(jobs) == ["Jenkinsfile", "build", "downstream", "production"]
    assert jobs["production"].line == 6
    assert jobs["production"].environment == "production"
    assert jobs["production"].deploy_tool == "terraform apply"
    assert jobs["production"].triggers == frozenset({dj.MANUAL})
    assert jobs["downstream"].commands == ("trigger: group/project",)
    assert jobs["Jenkinsfile"].platform == "other"
    assert jobs["Jenkinsfile"].triggers == frozenset({dj.UNKNOWN})
    assert jobs["Jenkinsfile"].describe_triggers() == "trigger configured outside the file"


def test_malformed_workflow_is_a_ci_skip(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/bad.yml": "on: push\njobs:\n  a: [\n"})
    inv = inventory(Repo(tmp_path))
    assert inv.jobs == ()
    assert [(s.path, s.line) for s in inv.ci_skipped] == [(".github/workflows/bad.yml", 4)]


@pytest.mark.parametrize(
    ("command", "kind", "expected"),
    [
        ("gcloud run deploy web --image x", "deploy", "gcloud run deploy"),
        ("helmfile -e prod sync", "deploy", "helmfile -e prod sync"),
        ("terraform -chdir=infra apply -auto-approve", "deploy", "terraform -chdir=infra apply"),
        ("argocd app sync web", "deploy", "argocd app sync"),
        ("cap production deploy", "deploy", "cap production deploy"),
        ("uses: azure/webapps-deploy@v3", "deploy", "uses: azure/webapps-deploy"),
        ("helm lint ./chart", "deploy", None),
        ("./gradlew clean publish", "publish", "gradlew clean publish"),
        ("docker push ghcr.io/o/app:1", "publish", "docker push"),
        ("trivy --quiet image app:1", "scan", "trivy --quiet image"),
        ("uses: google/osv-scanner-action/osv-scanner-action@v2", "scan", "uses: google/osv-scanner-action"),
        ("pytest -q", "scan", None),
    ],
)
def test_tool_detection(command: str, kind: str, expected: str | None) -> None:
    job = dj.CiJob("ci.yml", "j", 1, "github", frozenset(), None, (command,))
    found = {"deploy": job.deploy_tool, "publish": job.publish_tool, "scan": job.scan_tool}[kind]
    assert found == expected


# -- the inventory -------------------------------------------------------------------------------


def test_library_has_nothing_deployable(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'lib'\n", "src/lib/__init__.py": "x = 1\n"})
    inv = inventory(Repo(tmp_path))
    assert inv.deployable is False
    assert inv.deployable_evidence() == []
    assert NOTHING_DEPLOYABLE.startswith("a library with nothing deployable: no Dockerfile")


def test_inventory_finds_every_kind_of_artefact(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12\n",
            "docker/api.Dockerfile": "FROM node:22\n",
            "infra/main.tf": 'resource "aws_s3_bucket" "b" {}\n',
            "Pulumi.yaml": "name: x\n",
            "cdk.json": "{}\n",
            "main.bicep": "param x string\n",
            "serverless.yml": "service: x\n",
            "job.nomad.hcl": "job {}\n",
            "chart/Chart.yaml": "apiVersion: v2\nname: web\n",
            "chart/templates/deploy.yaml": """\
            {{- if .Values.enabled }}
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}
            {{- end }}
            """,
            "overlays/prod/kustomization.yaml": "resources: []\n",
            "compose.yaml": "services: {}\n",
            "cfn/stack.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
            "k8s/all.yaml": """\
            apiVersion: v1
            kind: List
            items:
              - apiVersion: v1
                kind: Service
                metadata: {name: web}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            """,
            "Procfile": "web: gunicorn app:app\n",
            "node_modules/x/Dockerfile": "FROM vendored\n",
            "ansible/site.yml": "- hosts: web\n  tasks: []\n",
        },
    )
    inv = inventory(Repo(tmp_path))
    kinds = dict(inv.iac)
    assert list(kinds) == [
        "Terraform/OpenTofu",
        "Pulumi",
        "AWS CDK",
        "Bicep",
        "Serverless Framework",
        "Nomad",
        "Helm",
        "Kustomize",
        "docker-compose",
        "CloudFormation/SAM",
        "Kubernetes manifests",
    ]
    assert kinds["Kubernetes manifests"] == ("k8s/all.yaml",)
    assert kinds["CloudFormation/SAM"] == ("cfn/stack.yaml",)
    assert inv.dockerfiles == ("Dockerfile", "docker/api.Dockerfile")
    assert inv.platform == ("Procfile",)
    assert inv.playbooks == ("ansible/site.yml",)
    assert [(o.path, o.kind, o.name, o.line) for o in inv.kube] == [
        ("chart/templates/deploy.yaml", "Deployment", "templated", 2),
        ("k8s/all.yaml", "Service", "web", 4),
        ("k8s/all.yaml", "Deployment", "web", 8),
    ]
    assert inv.manifest_skipped == ()
    assert inv.deployable is True
    assert inv.deployable_evidence()[-2:] == [
        "Dockerfile: Dockerfile, docker/api.Dockerfile",
        "platform config: Procfile",
    ]
    assert inventory(Repo(tmp_path)) is not inv  # cached per Repo object, not per path


def test_inventory_is_cached_per_repo(tmp_path: Path) -> None:
    repo = Repo(write(tmp_path, {"Dockerfile": "FROM a:1\n"}))
    assert inventory(repo) is inventory(repo)


def test_malformed_manifest_becomes_a_skip_and_other_documents_still_count(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "k8s/ok.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
            "k8s/bad.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: [b\n",
            "notes.yaml": "this: is: not: yaml\n",  # no manifest keys: never parsed
        },
    )
    inv = inventory(Repo(tmp_path))
    assert [o.name for o in inv.kube] == ["a"]
    assert len(inv.manifest_skipped) == 1
    skip = inv.manifest_skipped[0]
    assert (skip.path, skip.line) == ("k8s/bad.yaml", 5)


def test_helm_untemplate() -> None:
    text = "{{- with .Values.x }}\nname: {{ .Release.Name }}-web\n  {{ end }}\n"
    assert helm_untemplate(text) == "\nname: templated-web\n\n"


def test_preview() -> None:
    assert preview(["a", "b"]) == "a, b"
    assert preview(["a", "b", "c", "d", "e"]) == "a, b, c (+2 more)"


# -- application code and SDKs -------------------------------------------------------------------


def test_app_code_library_service_and_empty(tmp_path: Path) -> None:
    lib = write(tmp_path / "lib", {"pyproject.toml": "[project]\n", "src/l.py": "x = 1\n", "tests/t.py": ""})
    app = app_code(Repo(lib))
    assert app.sources == ("src/l.py",)
    assert app.is_app is False
    assert app.not_app_reason().startswith("a library, not a running application: no Dockerfile")

    svc = write(tmp_path / "svc", {"requirements.txt": "flask==3.0\n", "app.py": "import flask\n"})
    app = app_code(Repo(svc))
    assert app.is_app is True
    assert app.service_markers == ("requirements.txt:1: flask==3.0",)
    assert (
        app.app_evidence()
        == "application code: 1 source files (service framework (requirements.txt:1: flask==3.0))"
    )

    empty = write(tmp_path / "empty", {"Dockerfile": "FROM a:1\n", "docs/x.py": ""})
    app = app_code(Repo(empty))
    assert app.is_app is False
    assert app.not_app_reason() == "no application source code outside tests, docs and scripts"


def test_find_sdks_counts_imports_not_names_in_data_or_comments(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "Dockerfile": "FROM a:1\n",
            "package.json": '{"dependencies": {"acme-sdk": "1.0"}}\n',
            "src/a.ts": "import { Acme } from 'acme-sdk'\n",
            "src/b.py": "NAMES = ['acme-sdk']\n# import acme-sdk\n",
            "src/c.go": 'import (\n    acme "github.com/acme/acme-sdk"\n)\n',
            "src/d.js": "acme.trackVariant(user)\n",
        },
    )
    repo = Repo(root)
    sdks = [Sdk("Acme", r"acme-sdk", r"acme-sdk"), Sdk("AcmeApi", r"never", r"trackVariant\(", False)]
    hits = find_sdks(repo, app_code(repo), sdks)
    assert [(h.sdk, h.path, h.line, h.in_code) for h in hits] == [
        ("Acme", "src/a.ts", 1, True),
        ("Acme", "src/c.go", 2, True),
        ("AcmeApi", "src/d.js", 1, True),
        ("Acme", "package.json", 1, False),
    ]
    assert str(hits[0]) == "src/a.ts:1: uses Acme (import { Acme } from 'acme-sdk')"
    assert str(hits[3]) == 'package.json:1: depends on Acme ({"dependencies": {"acme-sdk": "1.0"}})'


def test_operator_files_are_ci_and_scripts_outside_tests(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".github/workflows/ci.yml": "on: push\n",
            "scripts/deploy.sh": "",
            "Makefile": "",
            "tests/helper.sh": "",
            "app.py": "",
        },
    )
    assert operator_files(Repo(root)) == [".github/workflows/ci.yml", "Makefile", "scripts/deploy.sh"]


class _UntaggingLoader(yaml.SafeLoader):
    """Stands in for a C loader whose resolver tags nothing."""

    def get_single_data(self) -> Any:
        raise yaml.constructor.ConstructorError(
            None, None, "could not determine a constructor for the tag None"
        )


class _WrongLoader(yaml.SafeLoader):
    def get_single_data(self) -> Any:
        return {}


@pytest.mark.parametrize("replacement", [None, _UntaggingLoader, _WrongLoader])
def test_unsound_or_missing_c_loader_falls_back_to_the_pure_loader(
    monkeypatch: pytest.MonkeyPatch, replacement: type[yaml.SafeLoader] | None
) -> None:
    if replacement is None:
        monkeypatch.delattr(yaml, "CSafeLoader")
    else:
        monkeypatch.setattr(yaml, "CSafeLoader", replacement)
    assert yaml_lines._c_loader() is yaml.SafeLoader


def test_a_sound_c_loader_is_used() -> None:
    expected = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert yaml_lines._c_loader() in (expected, yaml.SafeLoader)
