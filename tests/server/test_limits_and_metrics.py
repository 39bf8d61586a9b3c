"""Rate limits shared through the real Redis, their in-process fallback, the queue-depth and scan-duration
metrics, and query strings holding only declared parameters."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from secloop.server.ratelimit import RateLimiter, RedisRateLimiter
from tests.server.conftest import NOW, Server, loop_results, start

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis on 127.0.0.1:6379 is unreachable ({exc})")
    prefix = f"secloop-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def test_two_server_processes_share_one_budget_through_redis(tmp_path: Path, redis_prefix: str) -> None:
    import redis

    # Two apps stand for two server processes: their limiters meet only in Redis.
    servers = [
        start(f"sqlite:///{tmp_path / f's{n}.db'}", api_rate_per_minute=3, redis_url=REDIS) for n in (1, 2)
    ]
    first, second = (next(s) for s in servers)
    try:
        for server in (first, second):
            limiter = server.state.api_limit
            assert isinstance(limiter, RedisRateLimiter)
            limiter._prefix = redis_prefix  # this test's own keys
        codes = [first.client.get("/api/v1/repositories").status_code for _ in range(2)]
        codes.append(second.client.get("/api/v1/repositories").status_code)
        refused = second.client.get("/api/v1/repositories", headers=second.auth("read"))
        assert codes == [401, 401, 401]
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        keys = list(redis.Redis.from_url(REDIS).scan_iter(match=f"{redis_prefix}:api:*"))
        assert len(keys) == 1
    finally:
        for generator in servers:
            generator.close()


def test_the_redis_window_is_the_clocks_minute(redis_prefix: str) -> None:
    import redis

    now = [60.0 * 16_667 + 20]  # 20 s into a minute
    limiter = RedisRateLimiter(
        redis.Redis.from_url(REDIS), "login", 2, clock=lambda: now[0], prefix=redis_prefix
    )
    assert [limiter.hit("10.0.0.1"), limiter.hit("10.0.0.1"), limiter.hit("10.0.0.1")] == [None, None, 40]
    assert limiter.hit("10.0.0.2") is None  # each client its own budget
    now[0] += 40  # the next minute
    assert limiter.hit("10.0.0.1") is None


def test_without_redis_the_limit_counts_in_this_process(caplog: pytest.LogCaptureFixture) -> None:
    import redis

    unreachable = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = RedisRateLimiter(unreachable, "api", 1)
    assert [limiter.hit("c"), limiter.hit("c")] == [None, 60]
    assert next(r.message for r in caplog.records if r.name == "secloop.server.ratelimit").startswith(
        "rate limits count in this process only: Redis failed"
    )


def test_no_redis_url_means_in_process_limits(server: Server) -> None:
    assert isinstance(server.state.api_limit, RateLimiter)
    assert isinstance(server.state.login_limit, RateLimiter)


def test_queue_depth_is_minus_one_when_the_broker_does_not_answer(tmp_path: Path) -> None:
    for server in start(f"sqlite:///{tmp_path / 'q.db'}", broker_url="redis://127.0.0.1:1/0", queue="scans"):
        body = server.client.get("/metrics", headers=server.auth("read")).text
        assert 'secloop_queue_depth{queue="scans"} -1.0' in body


def test_no_broker_means_no_queue_depth(server: Server) -> None:
    assert "secloop_queue_depth{" not in server.client.get("/metrics", headers=server.auth("read")).text


def test_scan_durations_are_a_histogram_of_the_finished_jobs(any_server: Server) -> None:
    jobs = any_server.state.scans.jobs
    for n, took in enumerate((0.5, 4.0, 70.0)):
        job = jobs.ensure(f"https://example.org/acme/r{n}.git", f"{n:040d}")
        saved = any_server.seed(f"/r/{n}", f"r{n}", as_of=NOW, commit=f"{n:040d}", results=loop_results())
        jobs.finish(job.id, saved, duration=took)
    jobs.ensure("https://example.org/acme/queued.git", "f" * 40)
    body = any_server.client.get("/metrics", headers=any_server.auth("read")).text
    assert 'secloop_scan_duration_seconds_bucket{le="1.0"} 1.0' in body
    assert 'secloop_scan_duration_seconds_bucket{le="5.0"} 2.0' in body
    assert 'secloop_scan_duration_seconds_bucket{le="60.0"} 2.0' in body
    assert 'secloop_scan_duration_seconds_bucket{le="120.0"} 3.0' in body
    assert 'secloop_scan_duration_seconds_bucket{le="+Inf"} 3.0' in body
    assert "secloop_scan_duration_seconds_count 3.0" in body
    assert "secloop_scan_duration_seconds_sum 74.5" in body


@pytest.mark.parametrize(
    ("query", "loc", "kind"),
    [
        ("?severty=high", ["query", "severty"], "extra_forbidden"),
        ("?severity=high&severity=low", ["query", "severity"], "repeated"),
    ],
)
def test_unknown_or_repeated_query_parameters_are_422(
    server: Server, query: str, loc: list[str], kind: str
) -> None:
    response = server.client.get(f"/api/v1/findings{query}", headers=server.auth("read"))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, kind)
    assert server.client.get("/api/v1/findings?severity=high", headers=server.auth("read")).status_code == 200
