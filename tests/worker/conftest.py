"""Real Celery workers against the Redis on 127.0.0.1:6379 (database 15), one queue per test.

Each test has its own queue name, so test runs sharing the Redis (CI jobs, two developers) do not
take each other's tasks; the test's keys are deleted afterwards.

Tests skip with the reason when Redis cannot be reached; CI runs the service so they run there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.store.conftest import pg_admin, pg_url  # noqa: F401

REDIS = "redis://127.0.0.1:6379/15"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_AUTHOR_DATE": "2025-03-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2025-03-01T12:00:00Z",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store the workers write to: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    factory: Callable[[], str] = request.getfixturevalue("pg_url")
    return factory()


@pytest.fixture
def redis_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The broker URL; SECLOOP_QUEUE is set to a queue of this test's own."""
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis on 127.0.0.1:6379 is unreachable ({exc})")
    name = f"secloop-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("SECLOOP_QUEUE", name)
    yield REDIS
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)
    client.close()


def make_repo(root: Path, files: dict[str, str]) -> str:
    """A git repository with one commit of `files`; returns the commit."""
    root.mkdir(parents=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "secloop.worker.app:celery_app",
                "worker",
                "--pool",
                "solo",
                "--queues",
                env["SECLOOP_QUEUE"],
                "--loglevel",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """kill -9: no chance to acknowledge, reject or clean up anything."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


@pytest.fixture
def workers(tmp_path: Path, redis_url: str) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(db: str, **extra: str) -> Worker:
        env = {**os.environ, "SECLOOP_BROKER_URL": redis_url, "SECLOOP_DB": db, **extra}
        worker = Worker(env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.05)
