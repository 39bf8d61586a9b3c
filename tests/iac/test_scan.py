"""The engine end to end: units, work done once per content, workers, fingerprints, what is skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from secloop.core.fingerprint import keyed_fingerprint
from secloop.iac import engine
from secloop.iac import scan as scan_module
from secloop.iac.model import Framework
from secloop.iac.scan import plan, scan_cached, scan_iac
from secloop.sources.repo import MAX_TEXT_BYTES, Repo
from tests.iac.conftest import FIXTURES, reasons, rows, scan_dir, write
from tests.iac.test_policies import EXPECTED

SG = """
resource "aws_security_group" "ssh" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def test_malformed_files_are_skipped_and_the_rest_is_checked() -> None:
    scan = scan_dir(FIXTURES / "malformed")
    assert reasons(scan) == [
        ("Dockerfile", 1, 1, "Dockerfile: unknown instruction 'FORM'; its resources were not checked"),
        (
            "broken.tf",
            3,
            9,
            "Terraform: not valid HCL: unexpected end of line (an expression is missing); "
            "its resources were not checked",
        ),
        (
            "pod.yaml",
            6,
            5,
            "Kubernetes: not valid YAML: did not find expected ',' or ']'; "
            "the objects after it were not checked",
        ),
        (
            "stack.yaml",
            6,
            1,
            "CloudFormation: not valid YAML: did not find expected ',' or '}'; "
            "its resources were not checked",
        ),
    ]
    assert scan.findings == ()
    assert scan.files == (("fine.tf", Framework.TERRAFORM),)


def test_copies_are_checked_once_and_reported_in_each_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for copy in ("a", "b/c"):
        write(tmp_path / copy, {"main.tf": SG})
    calls: list[int] = []
    real = engine.run_unit

    def counting(files: object) -> object:
        calls.append(1)
        return real(files)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module, "run_unit", counting)
    scan = scan_dir(tmp_path)
    assert len(calls) == 1
    assert rows(scan) == {
        ("IAC-AWS-SG-OPEN-SSH", "a/main.tf", 2, "high"),
        ("IAC-AWS-SG-OPEN-SSH", "b/c/main.tf", 2, "high"),
    }
    assert [f.fingerprint for f in scan.findings] == [
        keyed_fingerprint(
            "IAC-AWS-SG-OPEN-SSH", path, "aws_security_group.ssh", "ingress:tcp:22-22:0.0.0.0/0"
        )
        for path in ("a/main.tf", "b/c/main.tf")
    ]
    assert [r.path for r in scan.resources] == ["a/main.tf", "b/c/main.tf"]


def test_fingerprints_survive_inserted_lines_and_reformatting(tmp_path: Path) -> None:
    write(tmp_path / "one", {"main.tf": SG})
    moved = "# a comment\n\n" + SG.replace("  ingress {", '  description = "x"\n\n  ingress   {')
    write(tmp_path / "two", {"main.tf": moved})
    first, second = scan_dir(tmp_path / "one").findings, scan_dir(tmp_path / "two").findings
    assert [f.primary.start_line for f in first + second if f.primary] == [2, 7]
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]


def test_the_docker_image_fingerprint_matches_the_operate_evaluator(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM ubuntu\nUSER app\n"})
    (finding,) = scan_dir(tmp_path).findings
    assert finding.rule_id == "DOCKER-UNPINNED-BASE-IMAGE"
    assert finding.fingerprint == keyed_fingerprint("DOCKER-UNPINNED-BASE-IMAGE", "Dockerfile", "ubuntu")


def test_workers_give_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("s3", "network", "iam", "data"):
        shutil.copytree(FIXTURES / "terraform" / name, tmp_path / name)
    serial = scan_iac(Repo(tmp_path), workers=1)
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_BYTES", 0)
    parallel = scan_iac(Repo(tmp_path), workers=2)
    assert parallel == serial
    assert len(serial.findings) == 34


def test_units_join_folders_linked_by_local_modules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "live/main.tf": 'module "m" {\n  source = "../modules/m"\n}\n',
            "modules/m/main.tf": 'resource "x" "y" {}\n',
            "other/main.tf": 'resource "x" "z" {}\n',
            "k8s/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
            "README.md": "not IaC\n",
        },
    )
    units, skipped = plan(Repo(tmp_path))
    assert skipped == []
    assert [(u.root, [p for p, _ in u.files]) for u in units] == [
        ("", ["live/main.tf", "modules/m/main.tf"]),
        ("k8s", ["k8s/pod.yaml"]),
        ("other", ["other/main.tf"]),
    ]


def test_tests_fixtures_and_vendored_folders_are_left_out_unless_asked(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "infra/main.tf": SG,
            "tests/fixtures/main.tf": SG,
            "examples/main.tf": SG,
            ".terraform/modules/x/main.tf": SG,
            "node_modules/pkg/Dockerfile": "FROM ubuntu\n",
        },
    )
    assert {r[1] for r in rows(scan_dir(tmp_path))} == {"infra/main.tf"}
    assert {r[1] for r in rows(scan_dir(tmp_path, include_fixtures=True))} == {
        "infra/main.tf",
        "tests/fixtures/main.tf",
        "examples/main.tf",
    }


def test_unreadable_candidates_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {"ok.tf": SG})
    (tmp_path / "big.tf").write_text("#" * (MAX_TEXT_BYTES + 1), "utf-8")
    (tmp_path / "bin.tf").write_bytes(b"\0\1\2")
    scan = scan_dir(tmp_path)
    assert reasons(scan) == [
        ("big.tf", None, None, "IaC file not read: larger than 1 MB"),
        ("bin.tf", None, None, "IaC file not read: binary or unreadable"),
    ]
    assert rows(scan) == {("IAC-AWS-SG-OPEN-SSH", "ok.tf", 2, "high")}


def test_scan_cached_reads_once_per_repo(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": SG})
    repo = Repo(tmp_path)
    assert scan_cached(repo) is scan_cached(repo)
    assert scan_cached(repo, include_fixtures=True) is not scan_cached(repo)


def test_findings_carry_resource_properties_fix_and_a_snippet() -> None:
    scan = scan_dir(FIXTURES / "docker")
    first = scan.findings[0]
    assert first.properties == (
        ("framework", "dockerfile"),
        ("resource", "app/Dockerfile"),
        ("resource_type", "Dockerfile"),
    )
    assert first.primary is not None and first.primary.snippet == "FROM ${BASE} AS build"
    assert first.fix is not None and first.fix.startswith("Pin an explicit version tag")
    secret = [f for f in scan.findings if f.rule_id == "IAC-DOCKER-SECRET-ENV"]
    assert [f.primary.snippet for f in secret if f.primary] == [None, None]  # never echo a secret
    assert [f.message for f in secret] == [
        "ARG PIP_INDEX_TOKEN puts a secret into the image",
        "ENV DB_PASSWORD puts a secret into the image",
    ]


def test_a_scan_makes_no_network_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    scan = scan_iac(Repo(FIXTURES), include_fixtures=True)
    # The whole fixture tree at once finds exactly what each folder finds alone (the labelled set
    # is checked by test_labelled).
    assert {r for r in rows(scan) if not r[1].startswith("labelled/")} == {
        (rule, f"{folder}/{path}", line, severity)
        for folder, found in EXPECTED.items()
        for rule, path, line, severity in found
    }
    assert attempts == []


def test_a_rescan_checks_only_units_whose_files_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a", {"main.tf": SG})
    write(tmp_path / "b", {"main.tf": SG.replace("ssh", "admin")})
    calls: list[int] = []
    real = engine.run_unit

    def counting(files: object) -> object:
        calls.append(1)
        return real(files)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module, "run_unit", counting)
    first = scan_dir(tmp_path)
    assert len(calls) == 2
    again = scan_dir(tmp_path)
    assert len(calls) == 2  # both units from the cache
    assert rows(again) == rows(first) and [f.fingerprint for f in again.findings] == [
        f.fingerprint for f in first.findings
    ]
    (tmp_path / "b" / "main.tf").write_text(SG.replace("ssh", "other"))
    changed = scan_dir(tmp_path)
    assert len(calls) == 3  # only b was checked again
    assert {r.address for r in changed.resources} == {"aws_security_group.ssh", "aws_security_group.other"}
    # a copy of a cached unit in another folder reuses its result with its own paths
    write(tmp_path / "c" / "d", {"main.tf": SG})
    copied = scan_dir(tmp_path)
    assert len(calls) == 3
    assert ("IAC-AWS-SG-OPEN-SSH", "c/d/main.tf", 2, "high") in rows(copied)
    assert len(scan_iac(Repo(tmp_path), cache=False).findings) == len(copied.findings)
    assert len(calls) == 5  # without the cache: the two distinct units again


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path) -> None:
    from secloop.core.cachedir import cache_root

    write(tmp_path / "r", {"main.tf": SG})
    first = scan_dir(tmp_path / "r")
    entries = list((cache_root() / "iac").rglob("*.json"))
    assert len(entries) == 1
    entries[0].write_text("{not json")
    assert rows(scan_dir(tmp_path / "r")) == rows(first)
    assert json.loads(entries[0].read_text())["findings"][0][0] == "IAC-AWS-SG-OPEN-SSH"
