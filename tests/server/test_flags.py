"""The flag service over /api/v1/flags: ETags, one flag, toggles with scopes and the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from secloop.release.flags.engine import Engine
from secloop.release.flags.loader import FlagsFileError, parse_flags
from tests.server.conftest import Server, build_settings, start

FLAGS = Path(__file__).resolve().parents[1] / "fixtures" / "flags" / "flags.yaml"
KILL = "payments-kill-switch"


@pytest.fixture
def flag_server(tmp_path: Path) -> Iterator[Server]:
    yield from start(f"sqlite:///{tmp_path / 'server.db'}", flags_file=str(FLAGS))


def test_document_carries_text_and_toggles_with_etag(flag_server: Server) -> None:
    response = flag_server.client.get("/api/v1/flags", headers=flag_server.auth("read"))
    assert response.status_code == 200
    etag = response.headers["etag"]
    assert etag.startswith('"') and len(etag) == 34
    document = response.json()
    assert document["revision"] == 1 and document["toggles"] == {}
    assert document["text"] == FLAGS.read_text()
    assert [f["name"] for f in document["flags"]][:2] == ["new-checkout", "search-ranking"]
    # a client evaluates locally from the document: the same answer as the engine on the file
    engine = Engine(parse_flags(document["text"], "flags.yaml"))
    assert engine.is_enabled("new-checkout", {"userId": "user-3", "country": "DE"})
    again = flag_server.client.get(
        "/api/v1/flags", headers={**flag_server.auth("read"), "If-None-Match": etag}
    )
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    other = flag_server.client.get(
        "/api/v1/flags", headers={**flag_server.auth("read"), "If-None-Match": '"x"'}
    )
    assert other.status_code == 200


def test_one_flag(flag_server: Server) -> None:
    response = flag_server.client.get("/api/v1/flags/new-checkout", headers=flag_server.auth("read"))
    assert response.json() == {
        "name": "new-checkout",
        "type": "release",
        "owner": "team-payments",
        "created": "2026-10-01",
        "description": "the one-page checkout",
        "line": 9,
        "environments": {
            "default": {"enabled": True, "toggled": False, "strategies": ["flexibleRollout"]},
            "production": {"enabled": False, "toggled": False, "strategies": []},
        },
    }
    missing = flag_server.client.get("/api/v1/flags/nope", headers=flag_server.auth("read"))
    assert (missing.status_code, missing.json()) == (404, {"detail": "no flag 'nope'"})
    bad = flag_server.client.get("/api/v1/flags/bad%20name", headers=flag_server.auth("read"))
    assert bad.status_code == 422


def test_toggle_needs_write_and_is_audited(flag_server: Server) -> None:
    url = "/api/v1/flags/payments-kill-switch/toggle"
    body = {"environment": "default", "enabled": False}
    assert flag_server.client.post(url, json=body).status_code == 401
    assert flag_server.client.post(url, json=body, headers=flag_server.auth("read")).status_code == 403
    before = flag_server.client.get("/api/v1/flags", headers=flag_server.auth("read")).headers["etag"]
    response = flag_server.client.post(url, json=body, headers=flag_server.auth("write"))
    assert response.status_code == 200
    assert response.json()["environments"]["default"] == {
        "enabled": False,
        "toggled": True,
        "strategies": ["default"],
    }
    document = flag_server.client.get(
        "/api/v1/flags", headers={**flag_server.auth("read"), "If-None-Match": before}
    )
    assert document.status_code == 200 and document.headers["etag"] != before
    assert document.json()["revision"] == 2
    assert document.json()["toggles"] == {"default": {"payments-kill-switch": False}}
    audit = flag_server.client.get(
        "/api/v1/audit?action=flag.toggle", headers=flag_server.auth("admin")
    ).json()
    assert [(a["actor"], a["action"], a["outcome"], a["target"], a["detail"]) for a in audit] == [
        (
            "token:write-token",
            "flag.toggle",
            "success",
            "payments-kill-switch",
            {"environment": "default", "enabled": False, "previous": True},
        )
    ]


def test_toggle_errors(flag_server: Server) -> None:
    write = flag_server.auth("write")
    unknown = flag_server.client.post("/api/v1/flags/nope/toggle", json={"enabled": True}, headers=write)
    assert unknown.status_code == 404
    env = flag_server.client.post(
        "/api/v1/flags/new-checkout/toggle", json={"environment": "staging", "enabled": True}, headers=write
    )
    assert (env.status_code, env.json()) == (
        422,
        {"detail": "flag 'new-checkout' has no environment 'staging' (it has: default, production)"},
    )
    extra = flag_server.client.post(
        "/api/v1/flags/new-checkout/toggle", json={"enabled": True, "x": 1}, headers=write
    )
    assert extra.status_code == 422
    assert flag_server.state.accounts.audit_entries(action="flag.toggle") == []


def test_no_flags_file_means_no_flag_service(server: Server) -> None:
    response = server.client.get("/api/v1/flags", headers=server.auth("read"))
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    assert not [p for p in server.client.get("/api/v1/openapi.json").json()["paths"] if "flags" in p]


def test_the_schema_lists_the_flag_routes_when_served(flag_server: Server) -> None:
    paths = flag_server.client.get("/api/v1/openapi.json").json()["paths"]
    assert sorted(p for p in paths if "flags" in p) == [
        "/api/v1/flags",
        "/api/v1/flags/stream",
        "/api/v1/flags/{name}",
        "/api/v1/flags/{name}/toggle",
    ]


def test_a_malformed_flags_file_stops_the_server(tmp_path: Path) -> None:
    bad = tmp_path / "flags.yaml"
    bad.write_text("flags:\n  f: {type: nope}\n")
    from secloop.server import create_app

    with pytest.raises(FlagsFileError) as caught:
        create_app(build_settings(f"sqlite:///{tmp_path / 's.db'}", flags_file=str(bad)))
    assert caught.value.problems[0].place.line == 2


def test_settings_read_the_flags_file_option(tmp_path: Path) -> None:
    from secloop.server.settings import load_settings

    config = tmp_path / "server.toml"
    config.write_text(json.dumps({}).replace("{}", '[server]\nflags_file = "ops/flags.yaml"\n'))
    key = "k" * 40
    assert load_settings({"SECLOOP_SECRET_KEY": key}, config).flags_file == "ops/flags.yaml"
    assert load_settings({"SECLOOP_SECRET_KEY": key, "SECLOOP_FLAGS_FILE": "f.yaml"}).flags_file == "f.yaml"


def test_a_toggle_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    first = start(url, flags_file=str(FLAGS))
    server = next(first)
    body = {"environment": "default", "enabled": False}
    assert (
        server.client.post(
            f"/api/v1/flags/{KILL}/toggle", json=body, headers=server.auth("write")
        ).status_code
        == 200
    )
    body = {"environment": "default", "enabled": True}
    assert (
        server.client.post(
            f"/api/v1/flags/{KILL}/toggle", json=body, headers=server.auth("write")
        ).status_code
        == 200
    )
    body = {"environment": "default", "enabled": False}
    assert (
        server.client.post(
            f"/api/v1/flags/{KILL}/toggle", json=body, headers=server.auth("write")
        ).status_code
        == 200
    )
    with pytest.raises(StopIteration):
        next(first)
    again = start(url, flags_file=str(FLAGS))
    restarted = next(again)
    document = restarted.client.get("/api/v1/flags", headers=restarted.auth("read")).json()
    assert document["toggles"] == {"default": {KILL: False}}
    assert len(restarted.state.accounts.audit_entries(action="flag.toggle")) == 3
    with pytest.raises(StopIteration):
        next(again)


def test_migration_0003_creates_flag_toggles(flag_server: Server) -> None:
    from sqlalchemy import inspect

    inspector = inspect(flag_server.state.engine)
    columns = [c["name"] for c in inspector.get_columns("flag_toggles")]
    assert columns == ["id", "flag", "environment", "enabled", "actor", "updated_at"]
    assert [u["column_names"] for u in inspector.get_unique_constraints("flag_toggles")] == [
        ["flag", "environment"]
    ]


@pytest.mark.postgres
def test_toggles_are_stored_on_postgres(pg_url: Callable[[], str]) -> None:
    url = pg_url()
    first = start(url, flags_file=str(FLAGS))
    server = next(first)
    for enabled in (False, True, False):
        body = {"environment": "default", "enabled": enabled}
        response = server.client.post(f"/api/v1/flags/{KILL}/toggle", json=body, headers=server.auth("write"))
        assert response.status_code == 200
    with pytest.raises(StopIteration):
        next(first)
    again = start(url, flags_file=str(FLAGS))
    restarted = next(again)
    assert restarted.client.get("/api/v1/flags", headers=restarted.auth("read")).json()["toggles"] == {
        "default": {KILL: False}
    }
    with pytest.raises(StopIteration):
        next(again)


def test_two_server_processes_share_toggles_through_the_database(tmp_path: Path) -> None:
    import asyncio

    from secloop.server import flags as flag_service

    url = f"sqlite:///{tmp_path / 'server.db'}"
    first, second = start(url, flags_file=str(FLAGS)), start(url, flags_file=str(FLAGS))
    a, b = next(first), next(second)
    body = {"environment": "default", "enabled": False}
    assert (
        a.client.post(f"/api/v1/flags/{KILL}/toggle", json=body, headers=a.auth("write")).status_code == 200
    )
    # a GET on the other process reads the stored toggle
    document = b.client.get("/api/v1/flags", headers=b.auth("read")).json()
    assert document["toggles"] == {"default": {KILL: False}}

    # a subscriber of the other process gets the push within SYNC_SECONDS
    service_a = flag_service.FlagService.from_file(FLAGS, a.state.engine)
    service_b = flag_service.FlagService.from_file(FLAGS, b.state.engine)

    async def watch() -> dict[str, dict[str, bool]]:
        queue = service_b.subscribe()
        await queue.get()  # the document at subscription
        service_a.store(a.state.accounts, KILL, "default", True, "test", "127.0.0.1")
        service_a.toggle(KILL, "default", True)
        message = await asyncio.wait_for(queue.get(), flag_service.SYNC_SECONDS * 6)
        service_b.unsubscribe(queue)
        data = next(line[6:] for line in message.splitlines() if line.startswith("data: "))
        toggles: dict[str, dict[str, bool]] = json.loads(data)["toggles"]
        return toggles

    assert asyncio.run(watch()) == {"default": {KILL: True}}
    for generator in (first, second):
        with pytest.raises(StopIteration):
            next(generator)
