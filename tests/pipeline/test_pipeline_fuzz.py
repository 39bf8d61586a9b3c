"""Every parser takes any text: it returns a model or a Skipped, and the audits never raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from secloop.core.model import Skipped
from secloop.pipeline.azure.engine import scan_azure_texts
from secloop.pipeline.bitbucket.engine import scan_bitbucket_text
from secloop.pipeline.dependabot import scan_dependabot_text
from secloop.pipeline.engine import scan_texts
from secloop.pipeline.fix import fix_workflow, resolver
from secloop.pipeline.gitlab.engine import scan_gitlab_files
from secloop.pipeline.jenkins.engine import scan_jenkins_texts

_YAML_BITS = st.sampled_from(
    [
        "on: push\n",
        "jobs:\n",
        "  a:\n",
        "    runs-on: self-hosted\n",
        "    steps:\n",
        "      - run: echo ${{ github.head_ref }} >> $GITHUB_ENV\n",
        "      - uses: actions/checkout@v4\n",
        "        with: {persist-credentials: false}\n",
        "    if: github.actor == 'x[bot]'\n",
        "    container: node\n",
        "include:\n  - local: other.yml\n",
        "script:\n  - curl x | sh\n",
        "pipelines:\n  default:\n    - step:\n        script: [ls]\n",
        "stages:\n  - stage: s\n    jobs:\n      - job: j\n        steps:\n",
        "          - script: echo $(Build.SourceVersionMessage)\n",
        "resources:\n  repositories:\n    - repository: t\n",
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    cooldown: {default-days: x}\n",
        "- [\n",
        "&a {<<: *a}\n",
        "\t",
        "'",
        "${{ ",
    ]
)
_GROOVY_BITS = st.sampled_from(
    [
        "pipeline {",
        "}",
        "sh '",
        'sh "',
        "${env.CHANGE_TITLE}",
        "'",
        '"',
        "'''",
        "/*",
        "*/",
        "//",
        "\n",
        "image 'a'",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_YAML_BITS, max_size=15), st.text(max_size=20))
def test_yaml_parsers_never_raise(parts: list[str], noise: str) -> None:
    text = "".join(parts) + noise
    workflows = scan_texts([("w.yml", text)])
    assert len(workflows.workflows) + len([s for s in workflows.skipped if s.path == "w.yml"]) >= 1
    gitlab = scan_gitlab_files(lambda path: text if path == ".gitlab-ci.yml" else None)
    assert len(gitlab.files) + len(gitlab.skipped) >= 1
    bitbucket = scan_bitbucket_text("bitbucket-pipelines.yml", text)
    assert len(bitbucket.files) + len(bitbucket.skipped) == 1
    azure = scan_azure_texts([("azure-pipelines.yml", text)])
    assert len(azure.files) + len(azure.skipped) == 1
    scan_dependabot_text(".github/dependabot.yml", text, workflows=True)
    fix_workflow("w.yml", text, resolver({}))


@settings(max_examples=200, deadline=None)
@given(st.lists(_GROOVY_BITS, max_size=20), st.text(max_size=20))
def test_jenkins_parser_never_raises(parts: list[str], noise: str) -> None:
    scan = scan_jenkins_texts([("Jenkinsfile", "".join(parts) + noise)])
    assert len(scan.files) + len(scan.skipped) == 1
    assert all(isinstance(s, Skipped) for s in scan.skipped)
