"""The read-only API client against a fake API server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.pipeline.posture.client import ApiClient, ApiError, need

from .conftest import TOKEN_VALUE, FakeApi, payload


def client(api: FakeApi, cache: Path | None = None, platform: str = "github", **kw: object) -> ApiClient:
    return ApiClient(platform, api.url, TOKEN_VALUE, cache, **kw)  # type: ignore[arg-type]


def test_github_headers_and_get_only(fake_api: FakeApi) -> None:
    fake_api.add("/repos/acme/widget", 200, payload("github", "repo.json"))
    response = client(fake_api).get("/repos/acme/widget")
    assert response.ok and response.body["default_branch"] == "main"
    (seen,) = fake_api.seen
    assert seen.method == "GET"
    assert seen.headers["authorization"] == f"Bearer {TOKEN_VALUE}"
    assert seen.headers["accept"] == "application/vnd.github+json"
    assert seen.headers["x-github-api-version"] == "2022-11-28"


def test_gitlab_token_header(fake_api: FakeApi) -> None:
    fake_api.add("/projects/acme%2Fwidget", 200, payload("gitlab", "project.json"))
    response = client(fake_api, platform="gitlab").get("/projects/acme%2Fwidget")
    assert response.ok
    assert fake_api.seen[0].headers["private-token"] == TOKEN_VALUE
    assert "authorization" not in fake_api.seen[0].headers


def test_pagination_follows_link_next(fake_api: FakeApi) -> None:
    first = "/repos/acme/widget/collaborators?affiliation=outside&per_page=100"
    second = "/repositories/42424242/collaborators?affiliation=outside&per_page=100&page=2"
    fake_api.add(
        first, 200, payload("github", "collaborators_write.json"), Link=f'<{{base}}{second}>; rel="next"'
    )
    fake_api.add(second, 200, payload("github", "collaborators_page2.json"))
    response = client(fake_api).get_all("/repos/acme/widget/collaborators", {"affiliation": "outside"})
    assert [c["login"] for c in response.body] == ["reader-ext", "contractor", "vendor-admin"]
    assert fake_api.paths() == [first, second]


def test_etag_cache_revalidates(fake_api: FakeApi, tmp_path: Path) -> None:
    fake_api.add("/repos/acme/widget", 200, payload("github", "repo.json"), etag='W/"abc"')
    first = client(fake_api, tmp_path)
    assert first.get("/repos/acme/widget").from_cache is False
    again = client(fake_api, tmp_path)
    response = again.get("/repos/acme/widget")
    assert response.from_cache is True and response.body["full_name"] == "acme/widget"
    assert fake_api.seen[1].headers["if-none-match"] == 'W/"abc"'
    assert again.revalidated == 1
    # the cache never holds the token
    assert all(TOKEN_VALUE not in f.read_text() for f in tmp_path.rglob("*.json"))


def test_cache_is_per_token(fake_api: FakeApi, tmp_path: Path) -> None:
    fake_api.add("/repos/acme/widget", 200, payload("github", "repo.json"), etag='"v1"')
    client(fake_api, tmp_path).get("/repos/acme/widget")
    ApiClient("github", fake_api.url, TOKEN_VALUE + "-other", tmp_path).get("/repos/acme/widget")
    assert "if-none-match" not in fake_api.seen[1].headers


def test_rate_limit_waits_until_reset(fake_api: FakeApi) -> None:
    fake_api.add(
        "/repos/acme/widget",
        403,
        {"message": "API rate limit exceeded"},
        X_RateLimit_Remaining="0",
        X_RateLimit_Reset="1010",
    )
    waits: list[float] = []
    api_client = client(fake_api, sleep=waits.append, clock=lambda: 1000.0)
    response = api_client.get("/repos/acme/widget")
    assert waits == [11.0]
    assert response.status == 403 and len(fake_api.seen) == 2


def test_rate_limit_too_long_is_an_error(fake_api: FakeApi) -> None:
    fake_api.add("/repos/acme/widget", 429, {"message": "slow down"}, Retry_After="3600")
    with pytest.raises(ApiError, match="rate limit exhausted for 3600 s"):
        client(fake_api, sleep=lambda _: None).get("/repos/acme/widget")


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (401, "the token was rejected"),
        (403, "Administration: read"),
        (404, "not found, or hidden from this token"),
    ],
)
def test_errors_say_what_is_missing(fake_api: FakeApi, status: int, text: str) -> None:
    fake_api.add("/repos/acme/widget/hooks?per_page=100", status, {"message": "x"})
    response = client(fake_api).get_all("/repos/acme/widget/hooks")
    assert response.status == status
    assert response.error is not None and text in response.error
    assert "/repos/acme/widget/hooks" in response.error


def test_gitlab_403_names_scope() -> None:
    assert "read_api" in need("gitlab", 403, "/projects/1/hooks")


def test_plain_http_refused_off_loopback() -> None:
    with pytest.raises(ApiError, match="refusing to send a token over plain http"):
        ApiClient("github", "http://ghe.example.com/api/v3", TOKEN_VALUE)


def test_link_to_other_host_refused(fake_api: FakeApi) -> None:
    fake_api.add(
        "/repos/acme/widget/hooks?per_page=100",
        200,
        [],
        Link='<https://evil.example.com/x?page=2>; rel="next"',
    )
    with pytest.raises(ApiError, match=r"another host: evil\.example\.com"):
        client(fake_api).get_all("/repos/acme/widget/hooks")


def test_unreachable_server() -> None:
    dead = ApiClient("github", "http://127.0.0.1:9", TOKEN_VALUE, timeout=2)
    with pytest.raises(ApiError, match="request failed"):
        dead.get("/repos/acme/widget")


def test_base_path_is_kept_and_hidden_in_paths(fake_api: FakeApi) -> None:
    fake_api.add("/api/v3/repos/acme/widget", 200, payload("github", "repo.json"))
    api_client = ApiClient("github", fake_api.url + "/api/v3/", TOKEN_VALUE)
    response = api_client.get("/repos/acme/widget")
    assert response.ok and response.path == "/repos/acme/widget"
