"""`secloop db import`: OSV exports into the compact index; snapshots, hashes, withdrawn records."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from secloop.core.errors import InputError, UsageError
from secloop.deps.db import MANIFEST, AdvisoryDB, NoDatabase, import_osv, read_snapshot
from tests.deps.conftest import OSV_FIXTURES


def _zip(records: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(records.glob("*.json")):
            archive.write(path, path.name)
    return target


def test_import_counts_each_ecosystem_and_ignores_withdrawn(osv_dir: Path) -> None:
    snapshot = read_snapshot(osv_dir)
    assert snapshot is not None
    counts = {e.name: (e.advisories, e.withdrawn, e.packages) for e in snapshot.ecosystems}
    assert counts == {
        "Go": (1, 0, 1),
        "Maven": (1, 0, 1),
        "Packagist": (1, 0, 1),
        "PyPI": (13, 1, 10),
        "RubyGems": (1, 0, 1),
        "crates.io": (1, 0, 1),
        "npm": (4, 0, 3),
    }
    assert snapshot.newest_modified == "2026-01-02T00:00:00Z"
    db = AdvisoryDB(snapshot)
    assert [e.advisory.id for e in db.lookup("PyPI", "pyyaml")] == [
        "PYSEC-2018-49",
        "PYSEC-2020-176",
        "PYSEC-2020-96",
        "PYSEC-2021-142",
    ]
    assert db.lookup("PyPI", "aiohttp") == ()  # PYSEC-2022-43059 is withdrawn
    assert db.lookup("PyPI", "not-a-package") == ()
    assert db.lookup("NuGet", "anything") == ()


def test_names_are_normalised_per_ecosystem(db: AdvisoryDB) -> None:
    # The record says "PyYAML"; PEP 503 makes it "pyyaml"; the lockfile side is normalised the same way.
    assert "pyyaml" in db.names("PyPI")
    assert "symfony/http-kernel" in db.names("Packagist")


def test_content_hash_is_the_same_from_a_zip_or_a_folder(tmp_path: Path) -> None:
    pypi = OSV_FIXTURES / "pypi"
    from_dir = import_osv(pypi, tmp_path / "a").snapshot
    from_zip = import_osv(_zip(pypi, tmp_path / "PyPI-all.zip"), tmp_path / "b").snapshot
    assert from_dir.content_hash == from_zip.content_hash
    assert from_dir.content_hash.startswith("sha256:") and len(from_dir.content_hash) == 71
    eco = from_zip.ecosystem("PyPI")
    assert eco is not None and eco.source == "PyPI-all.zip" and eco.advisories == 11 and eco.withdrawn == 1


def test_reimport_replaces_an_ecosystem_and_keeps_the_others(tmp_path: Path, osv_dir: Path) -> None:
    before = read_snapshot(osv_dir)
    assert before is not None
    old_file = osv_dir / next(e.file for e in before.ecosystems if e.name == "PyPI")
    subset = tmp_path / "subset"
    subset.mkdir()
    shutil.copy(OSV_FIXTURES / "pypi" / "PYSEC-2021-142.json", subset)
    report = import_osv(subset, osv_dir)
    assert [(e.name, e.advisories) for e in report.imported] == [("PyPI", 1)]
    after = read_snapshot(osv_dir)
    assert after is not None
    assert {e.name for e in after.ecosystems} == {e.name for e in before.ecosystems}
    assert after.content_hash != before.content_hash
    assert not old_file.exists()  # the replaced index is removed once the manifest no longer names it
    assert sorted(p.name for p in osv_dir.glob("*.idx")) == sorted(e.file for e in after.ecosystems)
    assert [e.advisory.id for e in AdvisoryDB(after).lookup("PyPI", "pyyaml")] == ["PYSEC-2021-142"]


def test_unreadable_records_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    source = tmp_path / "records"
    source.mkdir()
    shutil.copy(OSV_FIXTURES / "pypi" / "PYSEC-2021-142.json", source)
    (source / "broken.json").write_text("{not json", "utf-8")
    (source / "bad-event.json").write_text(
        json.dumps(
            {
                "id": "TEST-BAD",
                "modified": "2026-01-01T00:00:00Z",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "x"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}],
                    }
                ],
            }
        ),
        "utf-8",
    )
    report = import_osv(source, tmp_path / "db")
    assert report.records == 1
    assert report.problems == (
        "bad-event.json: TEST-BAD: an event must have exactly one of introduced, fixed, last_affected, limit",
        "broken.json: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    )


def test_import_errors_are_input_errors(tmp_path: Path) -> None:
    not_zip = tmp_path / "all.zip"
    not_zip.write_text("not a zip", "utf-8")
    with pytest.raises(InputError, match="not a readable zip archive"):
        import_osv(not_zip, tmp_path / "db")
    with pytest.raises(UsageError, match="no such file or directory"):
        import_osv(tmp_path / "missing.zip", tmp_path / "db")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no OSV records found"):
        import_osv(empty, tmp_path / "db")
    assert not (tmp_path / "db" / MANIFEST).exists()  # nothing half-written


def test_missing_or_damaged_database(tmp_path: Path, osv_dir: Path) -> None:
    with pytest.raises(NoDatabase) as missing:
        AdvisoryDB.open(tmp_path / "nowhere")
    assert missing.value.exit_code == 2
    assert missing.value.hint is not None and "secloop db import" in missing.value.hint
    (osv_dir / MANIFEST).write_text('{"format": 99}', "utf-8")
    with pytest.raises(InputError, match="unknown format"):
        AdvisoryDB.open(osv_dir)
    (osv_dir / MANIFEST).write_text("{", "utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        AdvisoryDB.open(osv_dir)


def test_damaged_index_is_an_input_error(osv_dir: Path) -> None:
    snapshot = read_snapshot(osv_dir)
    assert snapshot is not None
    eco = snapshot.ecosystem("PyPI")
    assert eco is not None
    (osv_dir / eco.file).write_bytes(b"garbage")
    with pytest.raises(InputError, match="not a secloop advisory index"):
        AdvisoryDB(snapshot).lookup("PyPI", "pyyaml")


def test_snapshot_label_names_hash_counts_and_date(osv_dir: Path) -> None:
    snapshot = read_snapshot(osv_dir)
    assert snapshot is not None
    assert snapshot.label() == (
        f"OSV snapshot {snapshot.content_hash[:19]} (Go 1, Maven 1, Packagist 1, PyPI 13, RubyGems 1, "
        "crates.io 1, npm 4 advisories; newest modified 2026-01-02)"
    )
