"""The shared traversal over a repository: which files are workflows, caching, stable fingerprints."""

from __future__ import annotations

from pathlib import Path

from secloop.core.model import Skipped
from secloop.pipeline.engine import scan_texts, scan_workflows, workflow_paths
from secloop.sources.repo import Repo

UNPINNED = """\
on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: some-org/setup@v2
"""


def write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")


def test_only_files_directly_in_the_workflows_folder_are_workflows(tmp_path: Path) -> None:
    write(tmp_path, ".github/workflows/ci.yml", UNPINNED)
    write(tmp_path, ".github/workflows/release.yaml", UNPINNED)
    write(tmp_path, ".github/workflows/templates/ignored.yml", UNPINNED)
    write(tmp_path, ".github/workflows/README.md", "docs")
    write(tmp_path, "ci/other.yml", UNPINNED)
    repo = Repo(tmp_path)
    assert workflow_paths(repo) == [".github/workflows/ci.yml", ".github/workflows/release.yaml"]
    scan = scan_workflows(repo)
    assert [(f.rule_id, str(f.primary)) for f in scan.findings] == [
        ("GHA-UNPINNED-ACTION", ".github/workflows/ci.yml:7:15"),
        ("GHA-UNPINNED-ACTION", ".github/workflows/release.yaml:7:15"),
    ]
    assert scan.paths == (".github/workflows/ci.yml", ".github/workflows/release.yaml")


def test_scan_is_computed_once_per_repo(tmp_path: Path) -> None:
    write(tmp_path, ".github/workflows/ci.yml", UNPINNED)
    repo = Repo(tmp_path)
    first = scan_workflows(repo)
    write(tmp_path, ".github/workflows/ci.yml", "on: push\njobs: {}\n")
    assert scan_workflows(repo) is first
    assert scan_workflows(Repo(tmp_path)).findings == ()


def test_unreadable_and_malformed_files_are_skipped_and_the_rest_scanned(tmp_path: Path) -> None:
    write(tmp_path, ".github/workflows/a-binary.yml", b"\x00\x01binary")
    write(tmp_path, ".github/workflows/b-broken.yml", "on: push\njobs:\n  a: [\n")
    write(tmp_path, ".github/workflows/c-ok.yml", UNPINNED)
    scan = scan_workflows(Repo(tmp_path))
    assert scan.skipped == (
        Skipped(
            ".github/workflows/a-binary.yml", "not readable as text (binary or larger than the size limit)"
        ),
        Skipped(".github/workflows/b-broken.yml", "malformed YAML: did not find expected node content", 4, 1),
    )
    assert [w.path for w in scan.workflows] == [".github/workflows/c-ok.yml"]
    assert scan.paths == (
        ".github/workflows/a-binary.yml",
        ".github/workflows/b-broken.yml",
        ".github/workflows/c-ok.yml",
    )
    assert len(scan.of("GHA-UNPINNED-ACTION")) == 1


def test_problems_inside_a_workflow_are_reported_as_skipped() -> None:
    scan = scan_texts([("w.yml", "on: push\njobs:\n  a: nope\n")])
    assert scan.skipped == (Skipped("w.yml", "job a is the scalar 'nope', not a mapping", 3, 6),)
    assert len(scan.workflows) == 1


def test_fingerprints_survive_line_shifts_and_reindentation() -> None:
    before = scan_texts([("w.yml", UNPINNED)]).findings
    shifted = "# a comment\n\n" + UNPINNED.replace("\n    ", "\n      ").replace("  build:", "  build:")
    after = scan_texts([("w.yml", shifted)]).findings
    assert [f.primary.start_line for f in before] == [7]  # type: ignore[union-attr]
    assert [f.primary.start_line for f in after] == [9]  # type: ignore[union-attr]
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    other_job = scan_texts([("w.yml", UNPINNED.replace("build:", "deploy:"))]).findings
    assert other_job[0].fingerprint != before[0].fingerprint
