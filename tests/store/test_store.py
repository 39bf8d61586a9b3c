"""save + history round trips, atomicity and the shape of what is stored (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from secloop.core.enums import BaselineState, Severity, Stage, Status
from secloop.core.errors import StoreError
from secloop.store import Counts, History, HistoryEntry, PracticeStatus, Store, open_store
from secloop.store.models import FindingRow
from tests.store.conftest import assessment, document, finding, practice

ROOT = "/work/repos/demo"
T1 = datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
T2 = datetime(2025, 2, 3, 14, 0, tzinfo=UTC)
T3 = datetime(2025, 3, 1, 8, 15, tzinfo=UTC)
REC = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)


def first() -> Any:
    return assessment(
        (
            practice(
                "code.secrets",
                Status.FAIL,
                findings=(
                    finding("SECRET-AWS", "app/settings.py", 12, Severity.CRITICAL),
                    finding("SECRET-GENERIC", "docs/setup.md", 3, Severity.MEDIUM, suppressed=True),
                ),
            ),
            practice("build.sca", Status.PARTIAL, score=60),
            practice("plan.threat-model", Status.UNKNOWN),
        ),
        commit="aaaaaaaa11111111",
        as_of=T1,
        gate=False,
    )


def second() -> Any:
    return assessment(
        (
            practice("code.secrets", Status.PASS),
            practice(
                "build.sca",
                Status.FAIL,
                findings=(
                    finding("DEP-VULN", "uv.lock", None, baseline=BaselineState.UNCHANGED),
                    finding("DEP-VULN-ORPHAN", None, None, Severity.LOW),
                ),
            ),
            practice("pipeline.cicd-sec-4", Status.NOT_APPLICABLE),
        ),
        commit="bbbbbbbb22222222",
        as_of=T2,
        gate=None,
    )


def rows(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
    finally:
        engine.dispose()


TABLES = ("repositories", "assessments", "practice_results", "findings")


def test_save_then_history_round_trips_exact_values(any_url: str) -> None:
    with open_store(any_url) as store:
        id1 = store.save(first(), document(first()), ROOT, recorded_at=REC)
        id2 = store.save(second(), document(second()), ROOT, recorded_at=REC + timedelta(minutes=1))
        history = store.history(ROOT)
        assert store.document(id1) == '{"schema": "secloop.assessment/v1", "commit": "aaaaaaaa11111111"}\n'
        assert store.document(9999) is None
    assert history == History(
        root=ROOT,
        name="demo",
        entries=(
            HistoryEntry(
                id=id1,
                commit="aaaaaaaa11111111",
                as_of=T1,
                recorded_at=REC,
                tool_version="0.1.0",
                config_digest="cafebabe00000000",
                gate_passed=False,
                counts=Counts(
                    passed=0, partial=1, failed=1, unknown=1, not_applicable=0, findings=2, active_findings=1
                ),
                practices=(
                    PracticeStatus("plan.threat-model", Stage.PLAN, Status.UNKNOWN, 0),
                    PracticeStatus("code.secrets", Stage.CODE, Status.FAIL, 0),
                    PracticeStatus("build.sca", Stage.BUILD, Status.PARTIAL, 60),
                ),
            ),
            HistoryEntry(
                id=id2,
                commit="bbbbbbbb22222222",
                as_of=T2,
                recorded_at=REC + timedelta(minutes=1),
                tool_version="0.1.0",
                config_digest="cafebabe00000000",
                gate_passed=None,
                counts=Counts(
                    passed=1, partial=0, failed=1, unknown=0, not_applicable=1, findings=2, active_findings=1
                ),
                practices=(
                    PracticeStatus("code.secrets", Stage.CODE, Status.PASS, 100),
                    PracticeStatus("build.sca", Stage.BUILD, Status.FAIL, 0),
                    PracticeStatus("pipeline.cicd-sec-4", Stage.PIPELINE, Status.NOT_APPLICABLE, 0),
                ),
            ),
        ),
    )
    assert history.practices == (
        ("plan.threat-model", Stage.PLAN),
        ("code.secrets", Stage.CODE),
        ("build.sca", Stage.BUILD),
        ("pipeline.cicd-sec-4", Stage.PIPELINE),
    )
    assert history.entries[0].status_of("build.sca") == PracticeStatus(
        "build.sca", Stage.BUILD, Status.PARTIAL, 60
    )
    assert history.entries[0].status_of("pipeline.cicd-sec-4") is None


def test_findings_are_stored_one_row_each_with_policy_state(any_url: str) -> None:
    with open_store(any_url) as store:
        id1 = store.save(first(), document(first()), ROOT, recorded_at=REC)
        id2 = store.save(second(), document(second()), ROOT, recorded_at=REC)
    engine = create_engine(any_url)
    with engine.connect() as conn:
        found = conn.execute(
            select(
                FindingRow.assessment_id,
                FindingRow.practice_id,
                FindingRow.rule_id,
                FindingRow.fingerprint,
                FindingRow.severity,
                FindingRow.path,
                FindingRow.line,
                FindingRow.active,
                FindingRow.suppressed,
            ).order_by(FindingRow.id)
        ).all()
    engine.dispose()
    assert [tuple(r) for r in found] == [
        (id1, "code.secrets", "SECRET-AWS", "fp-secret-aws", "critical", "app/settings.py", 12, True, False),
        (
            id1,
            "code.secrets",
            "SECRET-GENERIC",
            "fp-secret-generic",
            "medium",
            "docs/setup.md",
            3,
            False,
            True,
        ),
        (id2, "build.sca", "DEP-VULN", "fp-dep-vuln", "high", "uv.lock", None, False, False),
        (id2, "build.sca", "DEP-VULN-ORPHAN", "fp-dep-vuln-orphan", "low", None, None, True, False),
    ]


def test_history_is_oldest_first_by_commit_time_and_limit_keeps_the_latest(any_url: str) -> None:
    with open_store(any_url) as store:
        # Saved out of order: the history follows the time assessed, not the time saved.
        id3 = store.save(
            assessment((practice("code.secrets", Status.PASS),), commit="c3", as_of=T3), "{}", ROOT
        )
        id1 = store.save(
            assessment((practice("code.secrets", Status.FAIL),), commit="c1", as_of=T1), "{}", ROOT
        )
        id2 = store.save(
            assessment((practice("code.secrets", Status.PARTIAL),), commit="c2", as_of=T2), "{}", ROOT
        )
        full = store.history(ROOT)
        latest = store.history(ROOT, limit=2)
    assert [(e.id, e.commit) for e in full.entries] == [(id1, "c1"), (id2, "c2"), (id3, "c3")]
    assert [(e.id, e.commit, e.practices[0].status) for e in latest.entries] == [
        (id2, "c2", Status.PARTIAL),
        (id3, "c3", Status.PASS),
    ]


def test_one_repository_row_per_root_and_its_name_follows_the_latest_save(any_url: str) -> None:
    with open_store(any_url) as store:
        store.save(assessment((), target="old-name"), "{}", ROOT)
        store.save(assessment((), target="new-name", as_of=T2), "{}", ROOT)
        store.save(assessment((), target="other"), "{}", "/elsewhere/other")
        history = store.history(ROOT)
        other = store.history("/elsewhere/other")
    assert history.name == "new-name"
    assert [e.as_of for e in history.entries] == [T1, T2]
    assert other.name == "other"
    assert [e.counts for e in other.entries] == [Counts(0, 0, 0, 0, 0, 0, 0)]
    assert rows(any_url, "repositories") == 2


def test_unknown_root_has_an_empty_history(any_url: str) -> None:
    with open_store(any_url) as store:
        store.save(first(), "{}", ROOT)
        assert store.history("/not/assessed") == History("/not/assessed", None, ())
        with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
            store.history(ROOT, limit=0)


def test_a_database_error_mid_save_leaves_nothing_written(any_url: str) -> None:
    broken = assessment(
        (
            practice("code.secrets", Status.FAIL, findings=(finding("SECRET-AWS", "a.py", 1),)),
            practice("code.secrets", Status.PASS),  # the same practice twice breaks a unique constraint
        )
    )
    with open_store(any_url) as store:
        with pytest.raises(StoreError) as info:
            store.save(broken, document(broken), ROOT)
        assert info.value.message.startswith("could not save the assessment at ")
        assert info.value.hint is not None
        assert "nothing was written" in info.value.hint
        assert store.history(ROOT) == History(ROOT, None, ())
    assert {table: rows(any_url, table) for table in TABLES} == dict.fromkeys(TABLES, 0)


def test_a_failure_after_every_row_is_inserted_rolls_everything_back(
    any_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserted: list[int] = []
    original = Store._save_results

    def then_fail(self: Store, session: Any, assessment_id: int, a: Any) -> None:
        original(self, session, assessment_id, a)
        session.flush()
        inserted.append(assessment_id)
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(Store, "_save_results", then_fail)
    with open_store(any_url) as store, pytest.raises(RuntimeError, match="disk vanished"):
        store.save(first(), document(first()), ROOT)
    assert inserted == [1]  # the rows did reach the database before the failure
    assert {table: rows(any_url, table) for table in TABLES} == dict.fromkeys(TABLES, 0)


def test_naive_and_offset_times_are_stored_as_utc(sqlite_url: str) -> None:
    plus_two = timezone(timedelta(hours=2))
    with open_store(sqlite_url) as store:
        store.save(
            assessment((), as_of=datetime(2025, 1, 10, 11, 30, tzinfo=plus_two)),
            "{}",
            ROOT,
            recorded_at=datetime(2025, 1, 11, 8, 0),  # naive: taken as UTC
        )
        (entry,) = store.history(ROOT).entries
    assert entry.as_of == datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
    assert entry.as_of.tzinfo is UTC
    assert entry.recorded_at == datetime(2025, 1, 11, 8, 0, tzinfo=UTC)


def test_recorded_at_defaults_to_now(sqlite_url: str) -> None:
    before = datetime.now(tz=UTC).replace(microsecond=0)
    with open_store(sqlite_url) as store:
        store.save(first(), "{}", ROOT)
        (entry,) = store.history(ROOT).entries
    after = datetime.now(tz=UTC) + timedelta(seconds=1)
    assert before <= entry.recorded_at <= after


def test_sqlite_foreign_keys_cascade_deletes(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        store.save(first(), "{}", ROOT)
        store.save(first(), "{}", "/other")
        engine = store._engine
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM repositories WHERE root = :root"), {"root": ROOT})
    assert (
        rows(sqlite_url, "assessments"),
        rows(sqlite_url, "practice_results"),
        rows(sqlite_url, "findings"),
    ) == (
        1,
        3,
        2,
    )


def test_practices_are_ordered_by_stage_then_id_with_numbers_as_numbers(sqlite_url: str) -> None:
    ids = ("pipeline.cicd-sec-10", "pipeline.cicd-sec-2", "code.secrets", "pipeline.cicd-sec-1", "build.sca")
    with open_store(sqlite_url) as store:
        store.save(assessment(tuple(practice(pid, Status.PASS) for pid in ids)), "{}", ROOT)
        history = store.history(ROOT)
    expected = (
        "code.secrets",
        "build.sca",
        "pipeline.cicd-sec-1",
        "pipeline.cicd-sec-2",
        "pipeline.cicd-sec-10",
    )
    assert tuple(p.practice_id for p in history.entries[0].practices) == expected
    assert tuple(pid for pid, _ in history.practices) == expected
