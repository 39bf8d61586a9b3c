"""Scans through Celery: enqueued by `secloop org scan`, run by real workers, once per commit.

The crash test kills a worker (SIGKILL) in the middle of a scan: nothing of that scan is visible, the
task is delivered again to another worker and the commit ends up assessed exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from secloop.cli.server import register
from secloop.core.errors import UsageError
from secloop.store.models import AssessmentRow, FindingRow, PracticeResultRow, ScanJobRow
from secloop.worker.app import run_scan
from secloop.worker.jobs import DONE, FAILED, RUNNING, Jobs
from tests.worker.conftest import Worker, make_repo, wait_for

APP = typer.Typer()
register(APP)
FILES = {
    "README.md": "# demo\n",
    "app/main.py": "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n",
    ".github/workflows/ci.yml": (
        "on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    ),
}


def counts(db: str) -> tuple[int, int, int]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(select(func.count()).select_from(AssessmentRow)) or 0,
                conn.scalar(select(func.count()).select_from(PracticeResultRow)) or 0,
                conn.scalar(select(func.count()).select_from(FindingRow)) or 0,
            )
    finally:
        engine.dispose()


def job_of(db: str) -> tuple[str, int, int | None] | None:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(ScanJobRow.status, ScanJobRow.attempts, ScanJobRow.assessment_id)
            ).first()
            return None if row is None else (row[0], row[1], row[2])
    finally:
        engine.dispose()


def test_org_scan_enqueues_a_worker_scans_and_a_second_request_is_skipped(
    tmp_path: Path, redis_url: str, workers: Callable[..., Worker], db_url: str
) -> None:
    db = db_url
    head = make_repo(tmp_path / "demo", FILES)
    worker = workers(db)
    env = {"SECLOOP_BROKER_URL": redis_url, "SECLOOP_DB": db}
    result = CliRunner().invoke(
        APP, ["org", "scan", str(tmp_path / "demo"), "--wait", "--timeout", "120"], env=env
    )
    assert result.exit_code == 0, (result.output, worker.log.read_text()[-2000:])
    assert result.output == "enqueued 1 scan(s); 0 commit(s) were scanned before\nscanned 1 repositories\n"
    status, attempts, assessment_id = job_of(db) or ("", 0, None)
    assert (status, attempts) == (DONE, 1)
    assessments, practices, _ = counts(db)
    assert assessments == 1 and practices > 40
    engine = create_engine(db)
    with engine.connect() as conn:
        saved = conn.execute(select(AssessmentRow.commit, AssessmentRow.document)).one()
    engine.dispose()
    assert saved[0] == head
    assert json.loads(saved[1])["commit"] == head
    again = CliRunner().invoke(APP, ["org", "scan", str(tmp_path / "demo")], env=env)
    assert again.output == "enqueued 0 scan(s); 1 commit(s) were scanned before\n"
    assert counts(db)[0] == 1 and assessment_id is not None


def test_run_scan_is_idempotent_by_repository_and_commit(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'direct.db'}"
    head = make_repo(tmp_path / "demo", FILES)
    first = run_scan(str(tmp_path / "demo"), head, "task-1", db)
    second = run_scan(str(tmp_path / "demo"), None, "task-2", db)
    assert (first["reused"], second["reused"]) == (False, True)
    assert first["assessment_id"] == second["assessment_id"]
    assert (first["commit"], counts(db)[0]) == (head, 1)


def test_run_scan_refuses_a_tree_that_is_not_at_the_commit_asked_for(tmp_path: Path) -> None:
    make_repo(tmp_path / "demo", FILES)
    with pytest.raises(UsageError) as info:
        run_scan(str(tmp_path / "demo"), "f" * 40, "t", f"sqlite:///{tmp_path / 'x.db'}")
    assert info.value.message.endswith("not at the commit asked for (ffffffffffff)")
    (tmp_path / "plain").mkdir()
    with pytest.raises(UsageError) as plain:
        run_scan(str(tmp_path / "plain"), None, "t", f"sqlite:///{tmp_path / 'x.db'}")
    assert plain.value.message == f"{tmp_path / 'plain'} is not a git repository with a commit"


def test_another_task_holding_the_job_makes_a_second_one_wait(tmp_path: Path) -> None:
    from datetime import timedelta

    from secloop.store.engine import build_engine, migrate, parse_url
    from secloop.worker.jobs import Busy

    engine = build_engine(parse_url(f"sqlite:///{tmp_path / 'j.db'}"))
    migrate(engine)
    jobs = Jobs(engine)
    assert jobs.claim("/r", "c" * 40, "one", timedelta(minutes=30)).status == RUNNING
    with pytest.raises(Busy):
        jobs.claim("/r", "c" * 40, "two", timedelta(minutes=30))
    taken = jobs.claim("/r", "c" * 40, "one", timedelta(minutes=30))  # the same task, delivered again
    assert (taken.status, taken.attempts, taken.task_id) == (RUNNING, 2, "one")
    stolen = jobs.claim("/r", "c" * 40, "three", timedelta(seconds=0))  # the lease ran out
    assert (stolen.task_id, stolen.attempts) == ("three", 3)
    jobs.fail(stolen.id, "boom")
    assert jobs.claim("/r", "c" * 40, "four", timedelta(minutes=30)).status == RUNNING
    engine.dispose()
    assert FAILED == "failed"


def test_a_worker_killed_mid_scan_leaves_nothing_partial_and_the_scan_is_retried(
    tmp_path: Path, redis_url: str, workers: Callable[..., Worker], db_url: str
) -> None:
    db = db_url
    # Enough files that a scan takes a few seconds: time to kill the worker in the middle of it.
    files = {f"src/pkg{i // 100}/mod{i}.py": f"VALUE_{i} = {i}\n" * 40 for i in range(4000)}
    head = make_repo(tmp_path / "big", {**FILES, **files})
    first = workers(db)
    env = {"SECLOOP_BROKER_URL": redis_url, "SECLOOP_DB": db}
    queued = CliRunner().invoke(APP, ["org", "scan", str(tmp_path / "big")], env=env)
    assert queued.exit_code == 0, queued.output
    wait_for(lambda: (job_of(db) or ("",))[0] == RUNNING, 60, "the scan to start", first.log)
    first.kill()
    assert counts(db) == (0, 0, 0)  # a killed scan leaves no partial assessment
    status, attempts, _ = job_of(db) or ("", 0, None)
    assert (status, attempts) == (RUNNING, 1)
    # Redis hands an unacknowledged task out again once its visibility timeout has passed.
    second = workers(db, SECLOOP_VISIBILITY_TIMEOUT="2")
    wait_for(lambda: (job_of(db) or ("",))[0] == DONE, 180, "the retried scan", second.log)
    status, attempts, assessment_id = job_of(db) or ("", 0, None)
    assert (status, attempts) == (DONE, 2)
    assessments, practices, _ = counts(db)
    assert assessments == 1 and practices > 40
    engine = create_engine(db)
    with engine.connect() as conn:
        assert conn.execute(select(AssessmentRow.id, AssessmentRow.commit)).one() == (assessment_id, head)
    engine.dispose()
