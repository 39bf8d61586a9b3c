"""GitHub and GitLab API sources against a fake forge on 127.0.0.1: mapping, pagination, ETag cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli.dora import register
from secloop.core.errors import InputError, UsageError
from secloop.delivery.api import ApiOptions, read_api, read_github, read_gitlab
from secloop.delivery.http import Client
from secloop.delivery.model import Deployment, DeploymentSource, Incident, PullRequest
from tests.delivery.api_payloads import MERGE, SHA_A, SHA_B, github_routes, gitlab_routes
from tests.delivery.conftest import GitRepo, at
from tests.delivery.fakeforge import Forge, serve

TOKEN = "test-token-" + "not-a-secret"


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(cache))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    return cache


def _no_tags(name: str) -> str | None:
    return {"v1.0.0": SHA_A}.get(name)


def test_github_maps_deployments_releases_pulls_and_incident_issues(tmp_path: Path) -> None:
    with serve(Forge(github_routes("o/r", SHA_A))) as forge:
        client = Client(forge.base, {"Authorization": f"Bearer {TOKEN}"})
        got = read_github(client, "o/r", ApiOptions(), _no_tags)
    events = got.events
    assert events.deployments == (
        Deployment(
            "production",
            SHA_A,
            "main",
            at("2026-03-04 09:05"),
            "success",
            DeploymentSource.API,
            "github o/r deployment 11",
        ),
        Deployment(
            "production",
            SHA_A,
            "v1.0.0",
            at("2026-03-03 12:30"),
            "success",
            DeploymentSource.API,
            "github o/r release v1.0.0",
        ),
    )
    assert [s.reason for s in events.skipped] == [
        "release v0.9.0: tag not in the local repository; fetch the tags"
    ]
    assert events.pull_requests == (
        PullRequest(
            number=5,
            created=at("2026-03-02 08:00"),
            merged=at("2026-03-02 11:00"),
            first_review=at("2026-03-02 09:30"),
            additions=30,
            deletions=4,
            author="alice",
            reviewers=("bob",),
            merge_sha=MERGE,
            origin="github o/r pull 5",
            title="Add retries",
            first_commit=at("2026-03-01 14:30"),
        ),
    )
    assert events.incidents == (
        Incident(
            "#7",
            at("2026-03-04 10:00"),
            at("2026-03-04 12:00"),
            None,
            None,
            None,
            "Checkout down",
            "production",
            "github o/r issue #7",
        ),
    )
    assert got.description == (
        "github o/r: 2 deployment(s), 1 incident issue(s), 1 merged pull request(s); "
        "11 request(s), 0 answered from the cache"
    )
    paths = [path for path, _ in forge.seen]
    assert paths[:3] == [
        "/repos/o/r/deployments?per_page=100",
        "/repos/o/r/deployments?per_page=100&page=2",
        "/repos/o/r/deployments/11/statuses?per_page=100",
    ]
    assert "/repos/o/r/issues?labels=incident&state=all&per_page=100" in paths
    assert all(headers["authorization"] == f"Bearer {TOKEN}" for _, headers in forge.seen)


def test_second_read_is_answered_by_etags_and_the_cache_holds_no_token(cache: Path) -> None:
    with serve(Forge(github_routes("o/r", SHA_A))) as forge:
        first = read_github(Client(forge.base, {"Authorization": TOKEN}), "o/r", ApiOptions(), _no_tags)
        client = Client(forge.base, {"Authorization": TOKEN})
        second = read_github(client, "o/r", ApiOptions(), _no_tags)
        conditional = [h.get("if-none-match") for _, h in forge.seen[11:]]
    assert second.events == first.events
    assert second.events.pull_requests[0].first_commit == at("2026-03-01 14:30")
    assert (client.requests, client.not_modified) == (11, 11)
    assert all(conditional)
    # Both pages of the pull request's commits were asked again and answered 304 the second time.
    commits = [(p, code) for (p, _), code in zip(forge.seen, forge.answered, strict=True) if "/commits" in p]
    assert commits == [
        ("/repos/o/r/pulls/5/commits?per_page=100", 200),
        ("/repos/o/r/pulls/5/commits?per_page=100&page=2", 200),
        ("/repos/o/r/pulls/5/commits?per_page=100", 304),
        ("/repos/o/r/pulls/5/commits?per_page=100&page=2", 304),
    ]
    assert second.description.endswith("11 request(s), 11 answered from the cache")
    stored = [p.read_text() for p in cache.rglob("*.json")]
    assert len(stored) == 11
    assert not any(TOKEN in text for text in stored)


def test_pages_are_limited(tmp_path: Path) -> None:
    with serve(Forge(github_routes("o/r", SHA_A))) as forge:
        client = Client(forge.base, {})
        got = read_github(client, "o/r", ApiOptions(pages=1), _no_tags)
    assert "/repos/o/r/deployments?per_page=100&page=2" not in [p for p, _ in forge.seen]
    assert len(got.events.deployments) == 2


def test_gitlab_maps_deployments_releases_merge_requests_and_issues() -> None:
    with serve(Forge(gitlab_routes("g%2Fshop"))) as forge:
        client = Client(forge.base + "/api/v4", {"PRIVATE-TOKEN": TOKEN})
        got = read_gitlab(client, "g/shop", ApiOptions())
    events = got.events
    assert events.deployments == (
        Deployment(
            "production",
            SHA_A,
            "main",
            at("2026-03-04 09:06"),
            "success",
            DeploymentSource.API,
            "gitlab g/shop deployment 41",
        ),
        Deployment(
            "production",
            SHA_B,
            "v1.0.0",
            at("2026-03-03 12:30"),
            "success",
            DeploymentSource.API,
            "gitlab g/shop release v1.0.0",
        ),
    )
    (mr,) = events.pull_requests
    assert (mr.number, mr.additions, mr.deletions, mr.first_review, mr.reviewers, mr.merge_sha) == (
        3,
        3,
        1,
        at("2026-03-02 10:00"),
        ("bob",),
        MERGE,
    )
    # Listed newest first over two pages: the earliest author date is the last item of the last page.
    assert mr.first_commit == at("2026-03-01 12:15")
    assert [(i.id, i.opened, i.resolved, i.title) for i in events.incidents] == [
        ("#4", at("2026-03-04 10:00"), None, "Payments failing")
    ]
    assert all(h["private-token"] == TOKEN for _, h in forge.seen)


def test_without_a_token_the_flag_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(
        UsageError, match=r"^--github needs a token in the environment variable GITHUB_TOKEN$"
    ):
        read_api("o/r", None, ApiOptions(base_url="http://127.0.0.1:9"), _no_tags)


def test_bad_slug_and_unauthorised_and_wrong_shape() -> None:
    with pytest.raises(UsageError, match="is not OWNER/REPO"):
        read_api("just-a-name", None, ApiOptions(base_url="http://127.0.0.1:9"), _no_tags)
    routes = github_routes("o/r", SHA_A)
    with (
        serve(Forge(routes, status={"/repos/o/r/deployments": 401})) as forge,
        pytest.raises(InputError) as caught,
    ):
        read_api("o/r", None, ApiOptions(base_url=forge.base), _no_tags)
    assert caught.value.message == f"{forge.base}/repos/o/r/deployments: HTTP 401 Unauthorized"
    assert caught.value.hint is not None and "GITHUB_TOKEN" in caught.value.hint
    routes["/repos/o/r/releases"] = [{"message": "not a list"}]
    with serve(Forge(routes)) as forge, pytest.raises(InputError, match="expected a JSON array"):
        read_api("o/r", None, ApiOptions(base_url=forge.base), _no_tags)


def test_only_http_urls_are_read() -> None:
    with pytest.raises(UsageError, match="only http and https"):
        Client("file:///etc", {}).get("/passwd")


def test_dora_reads_the_api_with_the_flag(git_repo: Callable[[str], GitRepo], tmp_path: Path) -> None:
    repo = git_repo("repo")
    repo.commit("one", "2026-03-02 09:00")
    sha = repo.commit("two", "2026-03-02 10:00")
    repo.tag("v1.0.0", "2026-03-03 12:00")
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    with serve(Forge(github_routes("o/r", sha))) as forge:
        result = CliRunner().invoke(
            app,
            ["dora", str(repo.root), "-f", "json", "--github", "o/r", "--api-url", forge.base],
            env={"GITHUB_TOKEN": TOKEN, "SECLOOP_CACHE_DIR": str(tmp_path / "c")},
        )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [(d["version"], d["source"], d["time"]) for d in document["deployments"]] == [
        ("v1.0.0", "api", "2026-03-03T12:30:00Z"),
        ("main", "api", "2026-03-04T09:05:00Z"),
    ]
    assert [i["id"] for i in document["incidents"]] == ["#7"]
    assert document["sources"][-1].startswith("github o/r: 2 deployment(s), 1 incident issue(s)")
