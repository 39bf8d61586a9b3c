"""Repositories by clone URL: the URL policy, shallow checkouts without hooks, `org scan` with URLs and
a GitHub organisation (a local fake API), and a push webhook that a real worker turns into a scan."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from secloop.core.errors import UsageError
from secloop.store.models import AssessmentRow, RepositoryRow
from secloop.worker.app import run_remote
from secloop.worker.jobs import DONE, Jobs
from secloop.worker.remote import check_url, checkout, remote_head, repo_name
from tests.worker.conftest import Worker, make_repo, wait_for
from tests.worker.test_worker import APP, FILES

TOKEN = "t0k-" + "abc"  # a fake API's expected token, not a credential


def bare_copy(tmp_path: Path, name: str) -> tuple[str, str]:
    """A bare repository (as a forge serves it) of one commit; its file:// URL and the commit."""
    head = make_repo(tmp_path / "src" / name, FILES)
    bare = tmp_path / "forge" / "acme" / f"{name}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(tmp_path / "src" / name), str(bare)], check=True)
    return f"file://{bare}", head


def saved(db: str) -> list[tuple[str, str, str | None]]:
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(RepositoryRow.root, RepositoryRow.name, AssessmentRow.commit).join(
                AssessmentRow, AssessmentRow.repository_id == RepositoryRow.id
            )
        ).all()
    engine.dispose()
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.org/a/b.git", "refusing to clone http:// URLs"),
        ("git://example.org/a/b.git", "refusing to clone git:// URLs"),
        ("ssh://git@example.org/a/b.git", "refusing to clone ssh:// URLs"),
        ("file:///srv/a.git", "refusing to clone file:// URLs"),
        ("https://user:secret@example.org/a/b.git", "the clone URL carries credentials"),
        ("https:///a/b.git", "the clone URL has no host"),
    ],
)
def test_only_https_urls_without_credentials_are_fetched(url: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        check_url(url)
    assert info.value.message.startswith(message)
    assert check_url("https://github.com/acme/shop.git") == "https://github.com/acme/shop.git"
    assert check_url("file:///srv/a.git", allow_file=True) == "file:///srv/a.git"
    assert repo_name("https://github.com/acme/shop.git") == "acme/shop"


def test_a_checkout_is_shallow_at_the_commit_and_runs_no_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, head = bare_copy(tmp_path, "shop")
    hooks = tmp_path / "template" / "hooks"
    hooks.mkdir(parents=True)
    marker = tmp_path / "hook-ran"
    hook = hooks / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path / "template"))
    global_config = tmp_path / "gitconfig"
    global_config.write_text(f"[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    assert remote_head(url, allow_file=True) == head
    tree = checkout(url, head, tmp_path / "out", allow_file=True)
    assert sorted(p.name for p in tree.iterdir() if p.name != ".git") == sorted(
        {name.split("/")[0] for name in FILES}
    )
    assert not marker.exists()
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=tree, capture_output=True)
    assert shallow.stdout.decode().strip() == "true"
    with pytest.raises(UsageError) as refused:
        checkout(url, head, tmp_path / "again")
    assert refused.value.message.startswith("refusing to clone file:// URLs")


def test_run_remote_saves_under_the_url_once_per_commit(tmp_path: Path) -> None:
    url, head = bare_copy(tmp_path, "shop")
    db = f"sqlite:///{tmp_path / 'remote.db'}"
    first = run_remote(url, head, "task-1", db, allow_file=True)
    second = run_remote(url, head, "task-2", db, allow_file=True)
    assert (first["reused"], second["reused"]) == (False, True)
    assert saved(db) == [(url, "acme/shop", head)]
    with pytest.raises(UsageError):
        run_remote(url, head, "task-3", db)  # file:// without permission


def test_org_scan_refuses_urls_it_may_not_fetch(tmp_path: Path) -> None:
    url, _ = bare_copy(tmp_path, "shop")
    env = {"SECLOOP_DB": f"sqlite:///{tmp_path / 'x.db'}", "SECLOOP_BROKER_URL": "redis://127.0.0.1:1/0"}
    result = CliRunner().invoke(APP, ["org", "scan", url], env=env)
    assert isinstance(result.exception, UsageError)
    assert result.exception.message.startswith("refusing to clone file:// URLs")
    assert result.exception.exit_code == 2
    nothing = CliRunner().invoke(APP, ["org", "scan"], env=env)
    assert isinstance(nothing.exception, UsageError)
    assert nothing.exception.message == "nothing to scan"


class FakeGitHub:
    """GET /orgs/acme/repos with a bearer token: two pages of repositories (page size forced to 2)."""

    def __init__(self, pages: list[list[dict[str, object]]]) -> None:
        self.pages = pages
        self.seen: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the http.server API
                outer.seen.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return
                page = int(self.path.rsplit("page=", 1)[1])
                body = json.dumps(outer.pages[page - 1] if page <= len(outer.pages) else []).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeGitHub, list[str]]]:
    monkeypatch.setattr("secloop.worker.github.PER_PAGE", 2)
    urls = [bare_copy(tmp_path, name)[0] for name in ("api", "shop", "old")]
    pages: list[list[dict[str, object]]] = [
        [
            {"full_name": "acme/api", "clone_url": urls[0], "archived": False},
            {"full_name": "acme/shop", "clone_url": urls[1], "archived": False},
        ],
        [{"full_name": "acme/old", "clone_url": urls[2], "archived": True}],
    ]
    fake = FakeGitHub(pages)
    yield fake, urls
    fake.close()


def test_org_scan_of_a_github_organisation_scans_every_live_repository(
    tmp_path: Path,
    redis_url: str,
    workers: Callable[..., Worker],
    fake_github: tuple[FakeGitHub, list[str]],
) -> None:
    fake, urls = fake_github
    db = f"sqlite:///{tmp_path / 'org.db'}"
    worker = workers(db)
    env = {"SECLOOP_BROKER_URL": redis_url, "SECLOOP_DB": db, "GITHUB_TOKEN": TOKEN}
    args = ["org", "scan", "--github-org", "acme", "--github-api-url", fake.url, "--allow-file-urls"]
    result = CliRunner().invoke(APP, [*args, "--wait", "--timeout", "180"], env=env)
    assert result.exit_code == 0, (result.output, worker.log.read_text()[-3000:])
    assert result.output == (
        "acme: 3 repositories\nenqueued 2 scan(s); 0 commit(s) were scanned before\nscanned 2 repositories\n"
    )
    assert fake.seen == [
        "/orgs/acme/repos?type=all&per_page=2&page=1",
        "/orgs/acme/repos?type=all&per_page=2&page=2",
    ]
    assert sorted((root, name) for root, name, _ in saved(db)) == [
        (urls[0], "acme/api"),
        (urls[1], "acme/shop"),
    ]
    refused = CliRunner().invoke(APP, args, env={**env, "GITHUB_TOKEN": ""})
    assert isinstance(refused.exception, UsageError)
    assert refused.exception.message.startswith("the GitHub API answered 401 for http://127.0.0.1:")


def test_a_github_api_url_over_plain_http_to_another_host_is_refused(tmp_path: Path) -> None:
    env = {"SECLOOP_DB": f"sqlite:///{tmp_path / 'x.db'}", "GITHUB_TOKEN": TOKEN}
    args = ["org", "scan", "--github-org", "acme", "--github-api-url", "http://example.org"]
    result = CliRunner().invoke(APP, args, env=env)
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == "refusing the GitHub API URL 'http://example.org'"


def job_done(jobs: Jobs, root: str, commit: str) -> bool:
    job = jobs.get(root, commit)
    return job is not None and job.status == DONE


def test_a_pushed_commit_is_queued_by_the_server_and_scanned_by_a_worker(
    tmp_path: Path, redis_url: str, workers: Callable[..., Worker]
) -> None:
    from tests.server.conftest import start

    url, head = bare_copy(tmp_path, "shop")
    db = f"sqlite:///{tmp_path / 'push.db'}"
    push: dict[str, object] = {
        "ref": "refs/heads/main",
        "after": head,
        "repository": {"full_name": "acme/shop", "clone_url": url, "default_branch": "main"},
    }
    queue = os.environ["SECLOOP_QUEUE"]
    for server in start(db, broker_url=redis_url, queue=queue, allow_file_urls=True):
        jobs = server.state.scans.jobs
        status, body = server.github("push", push)
        assert (status, body["scan"]) == (202, "queued")  # type: ignore[index]
        metrics = server.client.get("/metrics", headers=server.auth("read")).text
        assert f'secloop_queue_depth{{queue="{queue}"}} 1.0' in metrics
        assert server.github("push", push)[1]["scan"] == "seen-before"  # type: ignore[index]
        worker = workers(db)
        wait_for(
            partial(job_done, jobs, url, head),
            180,
            "the pushed commit's scan",
            worker.log,
        )
        assert saved(db) == [(url, "acme/shop", head)]
        metrics = server.client.get("/metrics", headers=server.auth("read")).text
        assert f'secloop_queue_depth{{queue="{queue}"}} 0.0' in metrics
        assert "secloop_scan_duration_seconds_count 1.0" in metrics
        assert 'secloop_scan_duration_seconds_bucket{le="+Inf"} 1.0' in metrics
