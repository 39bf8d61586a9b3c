from __future__ import annotations

from secloop.core.errors import ConfigError, InputError, Place, SecloopError, StoreError, UsageError, place_of


def test_place_formats() -> None:
    assert str(Place("a.toml")) == "a.toml"
    assert str(Place("a.toml", 3)) == "a.toml:3"
    assert str(Place("a.toml", 3, 7)) == "a.toml:3:7"
    assert place_of("x", 1, 2) == Place("x", 1, 2)


def test_render_with_place_and_hint() -> None:
    err = ConfigError("bad thing", place=Place("s.toml", 2, 5), hint="do this")
    assert err.render() == "error: s.toml:2:5: bad thing\n  hint: do this"


def test_exit_codes() -> None:
    assert UsageError("x").exit_code == 2
    assert InputError("x").exit_code == 2
    assert ConfigError("x").exit_code == 2
    assert StoreError("x").exit_code == 3
    assert SecloopError("x").exit_code == 3
    assert SecloopError("plain").render() == "error: plain"
