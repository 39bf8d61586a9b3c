"""Per-advisory ignores in .secloop/deps.toml: reason and expiry required, a year at most, enforced."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from secloop.core.errors import InputError
from secloop.deps.settings import parse_settings
from tests.deps.conftest import run_cli, write

TODAY = date(2026, 6, 1)
VULNERABLE = {"requirements.txt": "flask==3.1.1\nPyYAML==5.3.1\n"}


def ignore(
    advisory: str, expires: str, package: str = "PyYAML", reason: str = "full_load is never called"
) -> str:
    return (
        "[policy]\ncooldown_days = 21\n\n"
        f'[[ignore]]\nid = "{advisory}"\npackage = "{package}"\nreason = "{reason}"\nexpires = {expires}\n'
    )


def test_settings_parse_policy_and_ignores_with_their_lines() -> None:
    loaded = parse_settings(ignore("CVE-2020-14343", "2026-12-31"), ".secloop/deps.toml", today=TODAY)
    assert loaded.settings.policy.cooldown_days == 21
    assert [(i.id, i.package, i.expires) for i in loaded.settings.ignore] == [
        ("CVE-2020-14343", "PyYAML", date(2026, 12, 31))
    ]
    assert loaded.ignore_lines == (4,)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            '[[ignore]]\nid = "CVE-2020-14343"\npackage = "PyYAML"\nexpires = 2026-12-31\n',
            ".secloop/deps.toml:1",
            "'ignore.0.reason': Field required",
        ),
        (
            '[[ignore]]\nid = "CVE-2020-14343"\npackage = "PyYAML"\nreason = "ok, really"\n',
            ".secloop/deps.toml:1",
            "'ignore.0.expires': Field required",
        ),
        (ignore("CVE-2020-14343", "2026-12-31", reason="   "), ".secloop/deps.toml:7", "'ignore.0.reason'"),
        (
            ignore("CVE-2020-14343", "2027-06-03"),
            ".secloop/deps.toml:8",
            "ignore of CVE-2020-14343 for PyYAML: expires 2027-06-03, more than one year ahead",
        ),
        ("[policy]\ncooldown = 3\n", ".secloop/deps.toml:2", "unknown option 'policy.cooldown'"),
        ("[policy\n", ".secloop/deps.toml:1:8", "not valid TOML"),
    ],
)
def test_malformed_settings_name_file_and_line(text: str, where: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings(text, ".secloop/deps.toml", today=TODAY)
    assert str(caught.value.place) == where
    assert message in caught.value.message


@pytest.mark.parametrize("advisory", ["GHSA-8q59-q68h-6hv4", "PYSEC-2021-142", "cve-2020-14343"])
def test_a_live_ignore_by_id_or_alias_suppresses_the_finding_with_its_reason(
    tmp_path: Path, osv_dir: Path, monkeypatch: pytest.MonkeyPatch, advisory: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780272000")  # 2026-06-01
    repo = write(tmp_path / "repo", {**VULNERABLE, ".secloop/deps.toml": ignore(advisory, "2026-12-31")})
    out = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir)])
    assert out.code == 0, out.stdout
    assert f"[suppressed (config): {advisory} ignored: full_load is never called]" in out.stdout
    assert "1 ignored with a reason and an expiry" in out.stdout


def test_an_ignore_for_another_package_does_not_apply(
    tmp_path: Path, osv_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780272000")
    text = ignore("GHSA-8q59-q68h-6hv4", "2026-12-31", package="flask")
    repo = write(tmp_path / "repo", {**VULNERABLE, ".secloop/deps.toml": text})
    out = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir), "-f", "json"])
    assert out.code == 1
    assert "the ignore of GHSA-8q59-q68h-6hv4 for flask matches no finding" in out.stdout


def test_an_expired_ignore_stops_applying_and_is_reported(
    tmp_path: Path, osv_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780272000")
    repo = write(
        tmp_path / "repo", {**VULNERABLE, ".secloop/deps.toml": ignore("CVE-2020-14343", "2026-05-31")}
    )
    out = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir)])
    assert out.code == 1
    assert "suppressed" not in out.stdout
    assert (
        "DEP-IGNORE-EXPIRED .secloop/deps.toml:4 the ignore of CVE-2020-14343 for PyYAML expired on "
        "2026-05-31 (reason was: full_load is never called); it no longer applies"
    ) in out.stdout


def test_malformed_settings_exit_2_with_file_and_line(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(tmp_path / "repo", {**VULNERABLE, ".secloop/deps.toml": "[policy]\ncooldown = 3\n"})
    out = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir)])
    assert out.code == 2
    assert "error: .secloop/deps.toml:2: unknown option 'policy.cooldown'" in out.stderr
