"""The CI source: discovery by platform, triggers, steps with their lines, and Skipped on bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secloop.core.model import Skipped
from secloop.sources.ci import (
    PLATFORMS,
    CiConfig,
    CiFile,
    Hook,
    Pipeline,
    Platform,
    PreCommit,
    Step,
    StepKind,
    Triggers,
    discover,
    load_ci,
    load_precommit,
)
from secloop.sources.ci import nodes as n
from secloop.sources.ci.scripts import Use, tool_uses
from secloop.sources.repo import Repo
from tests.practices._repo_helpers_a import write


def pipeline(tmp_path: Path, path: str, text: str) -> Pipeline:
    config = load_ci(Repo(write(tmp_path, {path: text})))
    assert config.skipped == ()
    (only,) = config.pipelines
    return only


def steps(p: Pipeline) -> list[tuple[int, StepKind, str]]:
    return [(s.line, s.kind, s.text) for s in p.steps]


# -- discovery ---------------------------------------------------------------------------------


def test_discover_names_every_platform_in_path_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".github/workflows/ci.yml": "on: push\n",
            ".github/workflows/nested/not-a-workflow.yml": "on: push\n",
            ".gitlab-ci.yml": "test:\n  script: [make]\n",
            ".gitlab/ci/jobs.yml": "lint:\n  script: [make]\n",
            "azure-pipelines.yml": "steps: []\n",
            "bitbucket-pipelines.yml": "pipelines: {}\n",
            ".circleci/config.yml": "version: 2.1\n",
            "Jenkinsfile": "pipeline {}\n",
            "ci/release.jenkinsfile": "pipeline {}\n",
            "config/settings.yml": "a: 1\n",
        },
    )
    assert discover(Repo(tmp_path)) == (
        CiFile(".circleci/config.yml", Platform.CIRCLECI),
        CiFile(".github/workflows/ci.yml", Platform.GITHUB),
        CiFile(".gitlab-ci.yml", Platform.GITLAB),
        CiFile(".gitlab/ci/jobs.yml", Platform.GITLAB),
        CiFile("Jenkinsfile", Platform.JENKINS),
        CiFile("azure-pipelines.yml", Platform.AZURE),
        CiFile("bitbucket-pipelines.yml", Platform.BITBUCKET),
        CiFile("ci/release.jenkinsfile", Platform.JENKINS),
    )
    assert {p.platform for p in PLATFORMS} == set(Platform)


def test_load_ci_is_parsed_once_per_repo(tmp_path: Path) -> None:
    repo = Repo(write(tmp_path, {".github/workflows/ci.yml": "on: push\njobs: {}\n"}))
    assert load_ci(repo) is load_ci(repo)
    assert load_precommit(repo) is load_precommit(repo)


def test_no_ci_gives_an_empty_config(tmp_path: Path) -> None:
    config = load_ci(Repo(write(tmp_path, {"README.md": "hi\n"})))
    assert config == CiConfig()
    assert config.files == ()
    assert list(config.steps()) == []


# -- malformed input becomes Skipped -----------------------------------------------------------


def test_invalid_yaml_is_skipped_with_its_line_and_never_raises(tmp_path: Path) -> None:
    repo = Repo(
        write(
            tmp_path,
            {
                ".github/workflows/bad.yml": "on: push\njobs:\n  a: [unclosed\n",
                ".github/workflows/list.yml": "- just\n- a list\n",
                ".github/workflows/empty.yml": "",
                ".github/workflows/ok.yml": "on: push\njobs: {}\n",
            },
        )
    )
    config = load_ci(repo)
    assert [p.file.path for p in config.pipelines] == [".github/workflows/ok.yml"]
    assert config.skipped == (
        Skipped(".github/workflows/bad.yml", "invalid YAML: did not find expected ',' or ']'", 4, 1),
        Skipped(".github/workflows/empty.yml", "empty YAML file"),
        Skipped(".github/workflows/list.yml", "expected a YAML mapping at the top level", 1),
    )


def test_binary_ci_file_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, {})
    (tmp_path / "Jenkinsfile").write_bytes(b"\x00\x01binary")
    config = load_ci(Repo(tmp_path))
    assert config.pipelines == ()
    assert config.skipped == (Skipped("Jenkinsfile", "not readable as text (binary or too large)"),)


# -- GitHub Actions ----------------------------------------------------------------------------

GITHUB = """\
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    container: python:3.12
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: |
          pip install -e .

          pytest -q
      - run: >
          ruff check
          src
  reuse:
    uses: org/repo/.github/workflows/scan.yml@main
    with:
      tool: semgrep
"""


def test_github_steps_carry_their_lines_kinds_and_parameters(tmp_path: Path) -> None:
    p = pipeline(tmp_path, ".github/workflows/ci.yml", GITHUB)
    assert p.triggers == Triggers(True, True, True, False)
    assert steps(p) == [
        (6, StepKind.IMAGE, "python:3.12"),
        (8, StepKind.USES, "actions/checkout@v4"),
        (12, StepKind.RUN, "pip install -e ."),
        (14, StepKind.RUN, "pytest -q"),
        (16, StepKind.RUN, "ruff check src"),
        (19, StepKind.USES, "org/repo/.github/workflows/scan.yml@main"),
    ]
    checkout = p.steps[1]
    assert checkout.params == (("persist-credentials", "false"),)
    assert checkout.job == "test"
    assert checkout.where == ".github/workflows/ci.yml:8"
    assert checkout.haystack == "actions/checkout@v4 persist-credentials: false"
    assert p.steps[5].params == (("tool", "semgrep"),)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("push", Triggers(False, True, True, False)),
        ("{push: {branches: [main]}, pull_request: {}}", Triggers(True, True, False, False)),
        ("{push: {branches: ['release/**']}}", Triggers(False, False, True, False)),
        ("{push: {branches-ignore: [main]}}", Triggers(False, False, True, False)),
        ("{push: {branches: ['**', '!main']}}", Triggers(False, False, True, False)),
        ("{push: {branches: [master]}}", Triggers(False, True, False, False)),
        ("{push: {branches: ['refs/heads/ma?n']}}", Triggers(False, True, True, False)),
        ("{push: {tags: ['v*']}}", Triggers(False, False, False, False)),
        ("{pull_request_target: {branches: [main]}}", Triggers(True, False, False, False)),
        ("{pull_request: {branches: ['release/*']}}", Triggers(False, False, False, False)),
        ("{merge_group: null, schedule: [{cron: '0 3 * * 1'}]}", Triggers(True, False, False, True)),
        (
            "workflow_call",
            Triggers(
                False, False, False, False, True, ("reusable workflow: runs when another workflow calls it",)
            ),
        ),
    ],
)
def test_github_triggers(tmp_path: Path, on: str, expected: Triggers) -> None:
    p = pipeline(tmp_path, ".github/workflows/ci.yml", f"on: {on}\njobs: {{}}\n")
    assert p.triggers == expected


def test_triggers_describe_themselves() -> None:
    assert (
        Triggers(True, True, True, True).describe()
        == "runs on pull requests, pushes to every branch, a schedule"
    )
    assert Triggers(False, True).describe() == "runs on pushes to the main branch"
    assert Triggers(False, False, True).describe() == "runs on pushes to branches other than main"
    assert Triggers().describe() == "runs on neither pull requests nor pushes"
    assert Triggers(known=False, notes=("see Jenkins",)).describe() == (
        "triggers are configured outside the file (see Jenkins)"
    )


# -- GitLab CI ---------------------------------------------------------------------------------

GITLAB = """\
include:
  - template: Security/SAST.gitlab-ci.yml
  - local: .gitlab/ci/jobs.yml
image: python:3.12
.defaults: &defaults
  before_script:
    - pip install .
test:
  <<: *defaults
  image:
    name: node:20
  script:
    - pytest
    - - nested command
variables:
  A: "1"
"""


def test_gitlab_default_pipelines_run_on_every_branch(tmp_path: Path) -> None:
    p = pipeline(tmp_path, ".gitlab-ci.yml", GITLAB)
    assert p.fragment is False
    assert p.triggers == Triggers(
        True, True, True, False, True, ("GitLab default: a pipeline on every push to every branch",)
    )
    assert steps(p) == [
        (2, StepKind.INCLUDE, "template: Security/SAST.gitlab-ci.yml"),
        (3, StepKind.INCLUDE, "local: .gitlab/ci/jobs.yml"),
        (4, StepKind.IMAGE, "python:3.12"),
        (7, StepKind.RUN, "pip install ."),
        (11, StepKind.IMAGE, "node:20"),
        (7, StepKind.RUN, "pip install ."),
        (13, StepKind.RUN, "pytest"),
        (14, StepKind.RUN, "nested command"),
    ]
    assert [s.job for s in p.steps][3:] == [".defaults", "test", "test", "test", "test"]


def test_gitlab_single_include_and_global_script(tmp_path: Path) -> None:
    text = "include: '/ci/base.yml'\nscript:\n  - make\n"
    p = pipeline(tmp_path, ".gitlab-ci.yml", text)
    assert steps(p) == [(1, StepKind.INCLUDE, "/ci/base.yml"), (3, StepKind.RUN, "make")]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            ['$CI_PIPELINE_SOURCE == "merge_request_event"', "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"],
            Triggers(True, True, False, False),
        ),
        (['$CI_COMMIT_BRANCH == "main"'], Triggers(False, True, False, False)),
        (
            ["$CI_COMMIT_BRANCH", '$CI_PIPELINE_SOURCE == "schedule"'],
            Triggers(True, True, True, True, True, ("branch pipelines cover merge requests",)),
        ),
    ],
)
def test_gitlab_workflow_rules(tmp_path: Path, rules: list[str], expected: Triggers) -> None:
    text = (
        "workflow:\n  rules:\n" + "".join(f"    - if: '{r}'\n" for r in rules) + "test:\n  script: [make]\n"
    )
    assert pipeline(tmp_path, ".gitlab-ci.yml", text).triggers == expected


def test_gitlab_never_rules_are_ignored_and_catch_all_admits_everything(tmp_path: Path) -> None:
    text = """\
    workflow:
      rules:
        - if: '$CI_COMMIT_TAG'
          when: never
        - when: always
    """
    assert pipeline(tmp_path, ".gitlab-ci.yml", text).triggers == Triggers(
        True, True, True, False, True, ("workflow:rules ends with a catch-all rule",)
    )


def test_gitlab_included_file_is_a_fragment(tmp_path: Path) -> None:
    p = pipeline(tmp_path, ".gitlab/ci/jobs.yml", "lint:\n  script:\n    - ruff check\n")
    assert p.fragment is True
    assert p.triggers == Triggers()
    assert steps(p) == [(3, StepKind.RUN, "ruff check")]


# -- Azure Pipelines ---------------------------------------------------------------------------

AZURE = """\
schedules:
  - cron: "0 3 * * *"
    branches: {include: [main]}
stages:
  - stage: build
    jobs:
      - job: test
        steps:
          - script: |
              pip install .
              pytest
          - bash: echo hi
          - task: SonarQubePrepare@5
            inputs:
              scannerMode: CLI
          - template: templates/scan.yml
"""


def test_azure_defaults_steps_and_schedule(tmp_path: Path) -> None:
    p = pipeline(tmp_path, "azure-pipelines.yml", AZURE)
    assert p.triggers == Triggers(
        True, True, True, True, True, ("pull-request builds are on by default for GitHub repos",)
    )
    assert steps(p) == [
        (10, StepKind.RUN, "pip install ."),
        (11, StepKind.RUN, "pytest"),
        (12, StepKind.RUN, "echo hi"),
        (13, StepKind.USES, "SonarQubePrepare@5"),
        (16, StepKind.INCLUDE, "templates/scan.yml"),
    ]
    assert p.steps[3].params == (("scannerMode", "CLI"),)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("trigger: none\npr: none\n", Triggers(False, False, False, False)),
        ("trigger: [main]\npr: [main]\n", Triggers(True, True, False, False)),
        (
            "trigger:\n  branches:\n    include: ['feature/*']\npr: none\n",
            Triggers(False, False, True, False),
        ),
        ("trigger:\n  branches:\n    exclude: [main]\npr: none\n", Triggers(False, False, True, False)),
        ("trigger:\n  tags:\n    include: ['v*']\npr: none\n", Triggers(False, False, False, False)),
        ("trigger:\n  batch: true\npr: none\n", Triggers(False, True, True, False)),
        ("trigger: main\npr: none\n", Triggers(False, True, True, False)),
    ],
)
def test_azure_triggers(tmp_path: Path, header: str, expected: Triggers) -> None:
    assert pipeline(tmp_path, "azure-pipelines.yml", header + "steps: []\n").triggers == expected


def test_azure_template_is_a_fragment(tmp_path: Path) -> None:
    p = pipeline(tmp_path, ".azure-pipelines/templates/scan.yml", "steps:\n  - script: checkov -d .\n")
    assert p.fragment is True
    assert steps(p) == [(2, StepKind.RUN, "checkov -d .")]


# -- Bitbucket Pipelines -----------------------------------------------------------------------

BITBUCKET = """\
image: python:3.12
pipelines:
  default:
    - step:
        script:
          - pytest
          - pipe: snyk/snyk-scan:1.0.0
            variables:
              LANGUAGE: python
        after-script:
          - echo done
"""


def test_bitbucket_default_pipeline_and_pipes(tmp_path: Path) -> None:
    p = pipeline(tmp_path, "bitbucket-pipelines.yml", BITBUCKET)
    assert p.triggers == Triggers(True, True, True, False, True, ("branch pipelines cover pull requests",))
    assert steps(p) == [
        (1, StepKind.IMAGE, "python:3.12"),
        (6, StepKind.RUN, "pytest"),
        (7, StepKind.USES, "snyk/snyk-scan:1.0.0"),
        (11, StepKind.RUN, "echo done"),
    ]
    assert p.steps[2].params == (("LANGUAGE", "python"),)


def test_bitbucket_branch_and_pull_request_pipelines(tmp_path: Path) -> None:
    text = """\
    pipelines:
      branches:
        main:
          - step: {script: [make]}
      pull-requests:
        '**':
          - step: {script: [make]}
    """
    assert pipeline(tmp_path, "bitbucket-pipelines.yml", text).triggers == Triggers(True, True, False, False)


# -- CircleCI ----------------------------------------------------------------------------------

CIRCLECI = """\
version: 2.1
orbs:
  snyk: snyk/snyk@2.0.0
jobs:
  test:
    docker:
      - image: cimg/python:3.12
    steps:
      - checkout
      - run: pytest
      - run:
          name: lint
          command: ruff check
      - snyk/scan:
          severity-threshold: high
workflows:
  main:
    jobs:
      - test:
          filters:
            branches:
              only: [main]
      - release:
          filters:
            tags:
              only: /^v.*/
  nightly:
    triggers:
      - schedule:
          cron: "0 3 * * *"
    jobs: [test]
"""


def test_circleci_steps_orbs_and_filtered_workflows(tmp_path: Path) -> None:
    p = pipeline(tmp_path, ".circleci/config.yml", CIRCLECI)
    assert p.triggers == Triggers(False, True, False, True)
    assert steps(p) == [
        (3, StepKind.USES, "orb snyk: snyk/snyk@2.0.0"),
        (7, StepKind.IMAGE, "cimg/python:3.12"),
        (9, StepKind.USES, "checkout"),
        (10, StepKind.RUN, "pytest"),
        (13, StepKind.RUN, "ruff check"),
        (14, StepKind.USES, "snyk/scan"),
    ]
    assert p.steps[-1].params == (("severity-threshold", "high"),)


def test_circleci_without_workflows_builds_every_branch(tmp_path: Path) -> None:
    text = "version: 2.1\njobs:\n  build:\n    steps: [checkout]\n"
    assert pipeline(tmp_path, ".circleci/config.yml", text).triggers == Triggers(
        True, True, True, False, True, ("every pushed branch is built",)
    )


def test_circleci_unfiltered_workflow_covers_pull_requests(tmp_path: Path) -> None:
    text = "version: 2.1\nworkflows:\n  version: 2\n  all:\n    jobs: [build]\n"
    assert pipeline(tmp_path, ".circleci/config.yml", text).triggers == Triggers(
        True, True, True, False, True, ("every pushed branch is built, which covers pull requests",)
    )


# -- Jenkins -----------------------------------------------------------------------------------

JENKINS = """\
pipeline {
  agent { docker { image 'python:3.12' } }
  triggers { cron('H 3 * * *') }
  stages {
    stage('test') {
      when { changeRequest() }
      steps {
        sh 'pytest -q'
        sh(script: "make lint")
        sh '''
          pip-audit
          bandit -r src
        '''
        bat "echo 'unterminated
      }
    }
  }
}
"""


def test_jenkinsfile_steps_by_regex_and_triggers_outside_the_file(tmp_path: Path) -> None:
    p = pipeline(tmp_path, "Jenkinsfile", JENKINS)
    assert p.triggers == Triggers(
        True,
        False,
        False,
        True,
        False,
        ("branch and pull-request builds are set in the Jenkins job, not in the file",),
    )
    assert steps(p) == [
        (2, StepKind.IMAGE, "python:3.12"),
        (8, StepKind.RUN, "pytest -q"),
        (9, StepKind.RUN, "make lint"),
        (11, StepKind.RUN, "pip-audit"),
        (12, StepKind.RUN, "bandit -r src"),
    ]


# -- search, pre-commit and script expansion ---------------------------------------------------


def test_search_matches_text_and_parameters_of_chosen_kinds() -> None:
    run = Step("ci.yml", 3, StepKind.RUN, "trivy fs .")
    action = Step(
        "ci.yml", 5, StepKind.USES, "aquasecurity/trivy-action@v1", None, (("scan-type", "config"),)
    )
    config = CiConfig((Pipeline(CiFile("ci.yml", Platform.GITHUB), Triggers(), (run, action)),))
    assert config.search(re.compile(r"scan-type: config")) == [action]
    assert config.search(re.compile("trivy"), (StepKind.RUN,)) == [run]


PRECOMMIT = """\
repos:
  - repo: https://github.com/gitleaks/gitleaks
    rev: v8.18.0
    hooks:
      - id: gitleaks
  - repo: local
    hooks:
      - id: lint
        entry: make lint
        args: [--fix, "--quiet"]
      - name: no id, ignored
"""


def test_precommit_hooks_with_lines(tmp_path: Path) -> None:
    hooks = load_precommit(Repo(write(tmp_path, {".pre-commit-config.yaml": PRECOMMIT})))
    assert hooks == PreCommit(
        ".pre-commit-config.yaml",
        (
            Hook(".pre-commit-config.yaml", 5, "https://github.com/gitleaks/gitleaks", "gitleaks"),
            Hook(".pre-commit-config.yaml", 8, "local", "lint", "make lint", ("--fix", "--quiet")),
        ),
    )
    assert hooks.search(re.compile("gitleaks"))[0].where == ".pre-commit-config.yaml:5"


def test_precommit_absent_or_invalid(tmp_path: Path) -> None:
    assert load_precommit(Repo(write(tmp_path / "a", {"x.txt": ""}))) == PreCommit()
    bad = load_precommit(Repo(write(tmp_path / "b", {".pre-commit-config.yml": "repos: [\n"})))
    assert bad.path == ".pre-commit-config.yml"
    assert bad.hooks == ()
    assert [(s.path, s.line) for s in bad.skipped] == [(".pre-commit-config.yml", 2)]


MAKEFILE = """\
VENV := .venv
$(VENV)/ok: pyproject.toml
\ttouch $@

all: lint test

.PHONY: lint test unit
lint: ## style
\truff check .

test: unit
\t$(MAKE) -s integration

unit:
\tpytest -q tests/unit

integration:
\tpytest -q tests/integration
"""


def test_tool_uses_follow_make_targets_and_package_scripts(tmp_path: Path) -> None:
    repo = Repo(
        write(
            tmp_path,
            {
                ".github/workflows/ci.yml": """\
                on: push
                jobs:
                  t:
                    steps:
                      - run: make test
                      - run: make
                      - run: npm run ci
                      - run: make "unbalanced
                """,
                "Makefile": MAKEFILE,
                "package.json": '{\n  "scripts": {\n    "ci": "npm test",\n    "test": "jest --ci"\n  }\n}\n',
                ".pre-commit-config.yaml": PRECOMMIT,
            },
        )
    )
    uses = tool_uses(repo, load_ci(repo), load_precommit(repo), re.compile(r"pytest|jest|ruff"))
    assert [str(u) for u in uses] == [
        ".github/workflows/ci.yml:5 via Makefile:15: pytest -q tests/unit",
        ".github/workflows/ci.yml:5 via Makefile:18: pytest -q tests/integration",
        ".github/workflows/ci.yml:6 via Makefile:9: ruff check .",
        ".github/workflows/ci.yml:6 via Makefile:15: pytest -q tests/unit",
        ".github/workflows/ci.yml:6 via Makefile:18: pytest -q tests/integration",
        ".github/workflows/ci.yml:7 via package.json:4: jest --ci",
        ".pre-commit-config.yaml:8 via Makefile:9: ruff check .",
    ]
    assert uses[0] == Use(".github/workflows/ci.yml:5 via Makefile:15", "pytest -q tests/unit", "ci")
    assert uses[-1].source == "pre-commit"
    hook_uses = tool_uses(repo, CiConfig(), load_precommit(repo), re.compile("gitleaks"))
    assert hook_uses == [
        Use(
            ".pre-commit-config.yaml:5",
            "pre-commit hook gitleaks (https://github.com/gitleaks/gitleaks)",
            "pre-commit",
        )
    ]


def test_tool_uses_without_makefile_or_scripts(tmp_path: Path) -> None:
    repo = Repo(
        write(
            tmp_path,
            {
                ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: make test && npm run x\n",
                "package.json": "not json",
            },
        )
    )
    assert tool_uses(repo, load_ci(repo), load_precommit(repo), re.compile("pytest")) == []


# -- node helpers ------------------------------------------------------------------------------


def test_branch_filters() -> None:
    assert n.admits([], [], "main")
    assert n.admits(["**"], ["main"], "feature/x")
    assert not n.admits(["**"], ["main"], "main")
    assert n.admits(["feature/*"], [], "feature/x")
    assert not n.admits(["feature/*"], [], "feature/x/y")
    assert n.admits_other(["main", "dev"])
    assert not n.admits_other(["main", "!dev"])
    assert n.admits_main(["refs/heads/trunk"], [])


def test_compose_keeps_first_document_and_reports_errors() -> None:
    skipped: list[Skipped] = []
    root = n.compose("x.yml", "---\na: 1\n---\nb: 2\n", skipped)
    assert n.scalar(n.get(root, "a")) == "1"
    assert n.get(root, "b") is None
    assert n.compose("y.yml", "a: [", skipped) is None
    assert [(s.path, s.line, s.column) for s in skipped] == [("y.yml", 2, 1)]
