"""Scans asked for by the server (a push webhook): one job per repository URL and commit, sent to the workers.

Without a broker URL (SECLOOP_BROKER_URL) pushes are only recorded. A commit scanned or queued before
is not sent again, so a push delivered twice, or two branches pointing at one commit, scan once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Literal

from sqlalchemy import Engine

from secloop.core.errors import UsageError
from secloop.worker.jobs import FAILED, Jobs

LOG = logging.getLogger("secloop.server.scans")
Outcome = Literal["queued", "seen-before", "not-configured", "refused"]


class Scans:
    def __init__(
        self, engine: Engine, broker_url: str | None, queue: str, *, allow_file_urls: bool = False
    ) -> None:
        self.jobs = Jobs(engine)
        self.broker_url = broker_url
        self.queue = queue
        self.allow_file_urls = allow_file_urls
        self._celery: Any = None
        self._lock = threading.Lock()

    def _app(self) -> Any:
        with self._lock:
            if self._celery is None:
                from secloop.worker.app import make_celery

                self._celery = make_celery(self.broker_url)
            return self._celery

    def request(self, url: str, commit: str) -> Outcome:
        """Queue a scan of `commit` of the repository at clone URL `url` (blocking: run it in a thread)."""
        from secloop.worker.app import REMOTE_TASK
        from secloop.worker.remote import check_url

        if self.broker_url is None:
            return "not-configured"
        try:
            check_url(url, allow_file=self.allow_file_urls)
        except UsageError as exc:
            LOG.warning("not scanning %s: %s", url[:200], exc.message)
            return "refused"
        commit = commit.lower()
        before = self.jobs.get(url, commit)
        if before is not None and before.status != FAILED:
            return "seen-before"
        self.jobs.ensure(url, commit)
        self._app().send_task(REMOTE_TASK, args=(url, commit, self.allow_file_urls), queue=self.queue)
        return "queued"

    def close(self) -> None:
        if self._celery is not None:
            self._celery.close()
