"""Jenkinsfile and Bitbucket Pipelines: exact findings, negatives and per-file Skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import Skipped
from secloop.pipeline.bitbucket.engine import BitbucketScan, scan_bitbucket, scan_bitbucket_text
from secloop.pipeline.jenkins.engine import JenkinsScan, scan_jenkins, scan_jenkins_texts
from secloop.pipeline.jenkins.model import is_jenkinsfile, parse_jenkinsfile
from secloop.pipeline.rules import RULES
from secloop.practices.base import Context
from secloop.practices.catalog import practice
from secloop.practices.evaluators.pipeline import EVALUATORS
from secloop.sources.repo import Repo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pipeline"
JSI = "JK-SCRIPT-INJECTION"
JSE = "JK-SECRET-INTERPOLATION"
JUI = "JK-UNPINNED-IMAGE"
JCP = "JK-CURL-PIPE-SHELL"
JPR = "JK-PR-CREDENTIALS"
BUI = "BB-UNPINNED-IMAGE"
BCP = "BB-CURL-PIPE-SHELL"
BPR = "BB-PR-DEPLOYMENT"


def jenkins(name: str) -> JenkinsScan:
    return scan_jenkins_texts([(name, (FIXTURES / "jenkins" / name).read_text("utf-8"))])


def bitbucket(name: str) -> BitbucketScan:
    return scan_bitbucket_text(name, (FIXTURES / "bitbucket" / name).read_text("utf-8"))


def hits(scan: JenkinsScan | BitbucketScan, rule_id: str) -> list[tuple[int | None, int | None, str]]:
    return [
        (f.primary.start_line, f.primary.start_column, f.severity.value)
        for f in scan.of(rule_id)
        if f.primary
    ]


JENKINS = [
    (JSI, [(13, 35, "high"), (13, 60, "high")]),
    (JSE, [(17, 29, "medium"), (17, 43, "medium"), (24, 45, "medium")]),
    (JUI, [(4, 24, "medium"), (28, 34, "medium")]),
    (JCP, [(16, 21, "medium")]),
    (JPR, [(7, 9, "medium")]),
]
BITBUCKET = [
    (BUI, [(1, 8, "medium"), (5, 14, "medium"), (26, 25, "medium")]),
    (BCP, [(11, 13, "medium")]),
    (BPR, [(18, 27, "high"), (22, 15, "high")]),
]


@pytest.mark.parametrize(("rule_id", "expected"), JENKINS)
def test_jenkins_positive(rule_id: str, expected: list[tuple[int, int, str]]) -> None:
    assert hits(jenkins("positive.groovy"), rule_id) == expected


@pytest.mark.parametrize(("rule_id", "expected"), JENKINS)
def test_jenkins_negative(rule_id: str, expected: list[tuple[int, int, str]]) -> None:
    assert hits(jenkins("clean.groovy"), rule_id) == []


@pytest.mark.parametrize(("rule_id", "expected"), BITBUCKET)
def test_bitbucket_positive(rule_id: str, expected: list[tuple[int, int, str]]) -> None:
    assert hits(bitbucket("bitbucket-pipelines.yml"), rule_id) == expected


@pytest.mark.parametrize(("rule_id", "expected"), BITBUCKET)
def test_bitbucket_negative(rule_id: str, expected: list[tuple[int, int, str]]) -> None:
    assert hits(bitbucket("clean.yml"), rule_id) == []


def test_rules_are_all_tested_and_mapped() -> None:
    ids = {r.id for r in RULES if r.id.startswith(("JK-", "BB-"))}
    assert ids == {rule for rule, _ in JENKINS + BITBUCKET}
    assert {r.id: r.cicd_sec for r in RULES if r.id in ids} == {
        JSI: (4,),
        JSE: (6,),
        JUI: (3,),
        JCP: (3,),
        JPR: (4,),
        BUI: (3,),
        BCP: (3,),
        BPR: (4,),
    }


def test_jenkins_messages() -> None:
    scan = jenkins("positive.groovy")
    assert scan.of(JSI)[0].message == (
        "`${env.CHANGE_TITLE}` is interpolated by Groovy into a sh step; CHANGE_TITLE is written by the "
        "pull request's author"
    )
    assert scan.of(JPR)[0].message == (
        "the pipeline builds pull requests (line 11) and binds credential DEPLOY; keep credentials out "
        "of change-request builds"
    )
    loc = scan.of(JSI)[0].primary
    assert loc is not None and (loc.end_line, loc.end_column) == (13, 54)


@pytest.mark.parametrize(
    ("text", "reason", "line", "column"),
    [
        ("pipeline {\n  sh 'unterminated\n}\n", "not read: unterminated string", 2, 6),
        ("pipeline { /* open\n", "not read: unterminated comment", 1, 12),
        ("println 'hello'\n", "not a Jenkinsfile: no pipeline, node or stage block", 1, 1),
    ],
)
def test_unreadable_jenkinsfiles_are_skipped(text: str, reason: str, line: int, column: int) -> None:
    assert parse_jenkinsfile("Jenkinsfile", text) == Skipped("Jenkinsfile", reason, line, column)


def test_strings_hide_comment_markers_and_escapes() -> None:
    parsed = parse_jenkinsfile("Jenkinsfile", 'node {\n  sh "echo \'a\' // \\" ${env.CHANGE_TITLE}"\n}\n')
    assert not isinstance(parsed, Skipped)
    (shell,) = parsed.shells
    assert shell.script.text == "echo 'a' // \\\" ${env.CHANGE_TITLE}"
    assert [f.rule_id for f in scan_jenkins_texts([("Jenkinsfile", parsed.text)]).findings] == [JSI]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Jenkinsfile", True),
        ("ci/Jenkinsfile.release", True),
        ("build.jenkinsfile", True),
        ("Jenkinsfile.md", False),
        ("README", False),
    ],
)
def test_jenkinsfile_names(path: str, expected: bool) -> None:
    assert is_jenkinsfile(path) is expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("pipelines: [\n", "malformed YAML: did not find expected node content"),
        ("image: node\n", "not a Bitbucket Pipelines file: `pipelines:` is nothing"),
        ("- a\n", "not a Bitbucket Pipelines file: the document is a sequence"),
    ],
)
def test_malformed_bitbucket_files_are_skipped(text: str, reason: str) -> None:
    scan = scan_bitbucket_text("bitbucket-pipelines.yml", text)
    assert (scan.files, [s.reason for s in scan.skipped]) == ((), [reason])


def test_repo_scans_feed_the_practices(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "jenkins" / "positive.groovy", tmp_path / "Jenkinsfile")
    shutil.copy(FIXTURES / "bitbucket" / "bitbucket-pipelines.yml", tmp_path / "bitbucket-pipelines.yml")
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "Jenkinsfile").write_text("pipeline { sh 'x\n}\n", "utf-8")
    repo = Repo(tmp_path)
    jscan, bscan = scan_jenkins(repo), scan_bitbucket(repo)
    assert jscan is not None and jscan is scan_jenkins(repo)
    assert bscan is not None and bscan is scan_bitbucket(repo)
    four = EVALUATORS["pipeline.cicd-sec-4"](Context(repo, Config(), practice("pipeline.cicd-sec-4")))
    assert four.status is Status.FAIL
    assert sorted({f.rule_id for f in four.findings}) == [BPR, JPR, JSI]
    assert [s.path for s in four.skipped] == ["ci/Jenkinsfile"]


def test_no_files_means_no_scan(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    assert (scan_jenkins(repo), scan_bitbucket(repo)) == (None, None)
