"""The Celery app and its tasks: `scan_repository(path, commit)` and `scan_remote(url, commit)`.

Broker: SECLOOP_BROKER_URL (default redis://127.0.0.1:6379/0); queue: SECLOOP_QUEUE (default
"secloop"); database: SECLOOP_DB. Tasks are
acknowledged late and rejected when their worker dies, so a killed worker's scan is delivered again
(after SECLOOP_VISIBILITY_TIMEOUT seconds with Redis). Run a worker with `secloop worker` or
`celery -A secloop.worker.app:celery_app worker`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task  # type: ignore[import-untyped]  # celery ships no type hints

from secloop.core.errors import SecloopError, StoreError, UsageError
from secloop.store import Store
from secloop.store.engine import build_engine, migrate, parse_url
from secloop.worker.jobs import DONE, Busy, Jobs

DEFAULT_QUEUE = "secloop"
TASK = "secloop.scan_repository"
REMOTE_TASK = "secloop.scan_remote"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
_STORES: dict[tuple[int, str], tuple[Store, Jobs]] = {}
_STORES_LOCK = threading.Lock()


def _seconds(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def queue() -> str:
    return os.environ.get("SECLOOP_QUEUE") or DEFAULT_QUEUE


def make_celery(broker_url: str | None = None) -> Celery:
    broker = broker_url or os.environ.get("SECLOOP_BROKER_URL") or DEFAULT_BROKER
    app = Celery("secloop", broker=broker, backend=None)
    app.conf.update(
        task_default_queue=queue(),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": _seconds("SECLOOP_VISIBILITY_TIMEOUT", 3600)},
        worker_hijack_root_logger=False,
    )
    return app


celery_app = make_celery()


def store_for(url: str | None) -> tuple[Store, Jobs]:
    """One store per process and URL, opened and migrated on first use (after the worker forked)."""
    from secloop.store import default_url

    key = (os.getpid(), url or default_url())
    with _STORES_LOCK:
        if key not in _STORES:
            engine = build_engine(parse_url(key[1]))
            migrate(engine)
            _STORES[key] = (Store(engine), Jobs(engine))
        return _STORES[key]


def _assess_and_save(store: Store, checkout: Path, root: str, name: str | None) -> int:
    """Assess the tree at `checkout` and save it as the repository `root` (named `name`), one transaction."""
    from dataclasses import replace

    from secloop.assess import assess
    from secloop.inputs import prepare
    from secloop.practices.catalog import load_catalog
    from secloop.registry import REGISTRY
    from secloop.report import json_v1
    from secloop.report.interface import RenderInput

    result = assess(prepare(checkout))
    if name is not None:
        result = replace(result, target=name)
    document = json_v1.render(RenderInput(result, REGISTRY, load_catalog()))
    return store.save(result, document, root)


def _scan_once(
    root: str, head: str, task_id: str, db: str | None, work: Callable[[Store], int]
) -> dict[str, Any]:
    """Claim the job of (root, head), run `work` unless that commit was saved before, finish the job."""
    store, jobs = store_for(db)
    job = jobs.claim(root, head, task_id, timedelta(seconds=_seconds("SECLOOP_SCAN_LEASE", 1800)))
    if job.status == DONE and job.assessment_id is not None:
        return {"root": root, "commit": head, "assessment_id": job.assessment_id, "reused": True}
    saved = jobs.saved_assessment(root, head)
    if saved is not None:
        jobs.finish(job.id, saved)
        return {"root": root, "commit": head, "assessment_id": saved, "reused": True}
    started = time.monotonic()
    try:
        assessment_id = work(store)
    except SecloopError as exc:
        jobs.fail(job.id, exc.render())
        raise
    except Exception as exc:
        jobs.fail(job.id, f"internal error: {type(exc).__name__}: {exc}")
        raise
    jobs.finish(job.id, assessment_id, duration=time.monotonic() - started)
    return {"root": root, "commit": head, "assessment_id": assessment_id, "reused": False}


def run_scan(path: str, commit: str | None, task_id: str, db: str | None) -> dict[str, Any]:
    """Assess the repository at `path` (which must be at `commit`) and save it, once per commit."""
    from secloop.worker.jobs import target

    root, head = target(path)
    if commit is not None and commit != head:
        raise UsageError(f"{root} is at {head[:12]}, not at the commit asked for ({commit[:12]})")
    return _scan_once(root, head, task_id, db, lambda store: _assess_and_save(store, Path(root), root, None))


def run_remote(
    url: str, commit: str, task_id: str, db: str | None, allow_file: bool = False
) -> dict[str, Any]:
    """Fetch `commit` of the repository at clone URL `url` into a temporary directory and scan it once.

    The repository's identity is its URL (so the same commit is scanned once whoever asks) and its
    name the URL's owner/name.
    """
    from secloop.worker.remote import check_url, checkout, repo_name

    check_url(url, allow_file=allow_file)

    def work(store: Store) -> int:
        with tempfile.TemporaryDirectory(prefix="secloop-clone-") as scratch:
            tree = checkout(url, commit, Path(scratch) / "repo", allow_file=allow_file)
            return _assess_and_save(store, tree, url, repo_name(url))

    return _scan_once(url, commit, task_id, db, work)


@celery_app.task(  # type: ignore[untyped-decorator]
    bind=True,
    name=TASK,
    acks_late=True,
    autoretry_for=(StoreError, Busy),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def scan_repository(self: Task, path: str, commit: str | None = None) -> dict[str, Any]:
    return run_scan(path, commit, str(self.request.id), os.environ.get("SECLOOP_DB"))


@celery_app.task(  # type: ignore[untyped-decorator]
    bind=True,
    name=REMOTE_TASK,
    acks_late=True,
    autoretry_for=(StoreError, Busy),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def scan_remote(self: Task, url: str, commit: str, allow_file: bool = False) -> dict[str, Any]:
    return run_remote(url, commit, str(self.request.id), os.environ.get("SECLOOP_DB"), allow_file)
