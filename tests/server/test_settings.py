"""Settings: options from the environment or a file, secrets only from the environment or secret files."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.errors import ConfigError, UsageError
from secloop.server.settings import load_settings
from tests.server.conftest import make_secret


def test_the_environment_gives_options_and_secrets(tmp_path: Path) -> None:
    key, hook = make_secret(), make_secret(16)
    settings = load_settings(
        {
            "SECLOOP_SECRET_KEY": key,
            "SECLOOP_WEBHOOK_SECRET": hook,
            "SECLOOP_DB": f"sqlite:///{tmp_path}/x.db",
            "SECLOOP_LOCKOUT_FAILURES": "3",
            "SECLOOP_SESSION_HOURS": "1.5",
        }
    )
    assert (settings.secret_key, settings.github_webhook_secret, settings.alertmanager_token) == (
        key,
        hook,
        None,
    )
    assert (settings.db, settings.lockout_failures, settings.session_hours) == (
        f"sqlite:///{tmp_path}/x.db",
        3,
        1.5,
    )
    assert key not in repr(settings) and hook not in repr(settings)


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    key = make_secret()
    (tmp_path / "key").write_text(key + "\n")
    settings = load_settings({"SECLOOP_SECRET_KEY_FILE": str(tmp_path / "key"), "SECLOOP_DB": "sqlite://"})
    assert settings.secret_key == key


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "SECLOOP_SECRET_KEY is not set; the server has no default key"),
        (
            {"SECLOOP_SECRET_KEY": "short"},
            "the secret key is too short (5 characters, at least 32 are needed)",
        ),
        (
            {"SECLOOP_SECRET_KEY": "k" * 40, "SECLOOP_SECRET_KEY_FILE": "/x"},
            "both SECLOOP_SECRET_KEY and SECLOOP_SECRET_KEY_FILE are set",
        ),
        (
            {"SECLOOP_SECRET_KEY_FILE": "/nonexistent/key"},
            "cannot read the secrets file named by SECLOOP_SECRET_KEY_FILE: No such file or directory",
        ),
        (
            {"SECLOOP_SECRET_KEY": "k" * 40, "SECLOOP_LOCKOUT_MINUTES": "soon"},
            "SECLOOP_LOCKOUT_MINUTES must be a number, got 'soon'",
        ),
        (
            {"SECLOOP_SECRET_KEY": "k" * 40, "SECLOOP_LOGIN_RATE": "0"},
            "login_rate_per_minute must be positive, got 0",
        ),
    ],
)
def test_missing_or_weak_secrets_and_bad_values_are_usage_errors(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError) as info:
        load_settings({"SECLOOP_DB": "sqlite://", **environ})
    assert info.value.message == message
    assert info.value.exit_code == 2


def test_the_configuration_file_holds_options(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('[server]\nlockout_minutes = 30\ndb = "sqlite:///from-file.db"\n')
    settings = load_settings({"SECLOOP_SECRET_KEY": make_secret()}, config)
    assert (settings.lockout_minutes, settings.db) == (30, "sqlite:///from-file.db")
    overridden = load_settings({"SECLOOP_SECRET_KEY": make_secret(), "SECLOOP_DB": "sqlite://"}, config)
    assert overridden.db == "sqlite://"


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            '[server]\nsecret_key = "abc"\n',
            "'secret_key' is a secret and is never read from a configuration file",
            "remove it and set SECLOOP_SECRET_KEY (or SECLOOP_SECRET_KEY_FILE) in the environment",
        ),
        (
            '[server]\nalertmanager_token = "abc"\n',
            "'alertmanager_token' is a secret and is never read from a configuration file",
            "remove it and set SECLOOP_ALERTMANAGER_TOKEN (or SECLOOP_ALERTMANAGER_TOKEN_FILE) "
            "in the environment",
        ),
        ("[server]\nport = 1\n", "unknown option 'port' in [server]", None),
        ("[server\n", "invalid TOML: ", None),
        ("server = 3\n", "[server] must be a table", None),
        ('[server]\nlockout_minutes = "x"\n', "lockout_minutes must be a number, got 'x'", None),
    ],
)
def test_a_bad_configuration_file_is_a_config_error_at_its_place(
    tmp_path: Path, text: str, message: str, hint: str | None
) -> None:
    config = tmp_path / "server.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings({"SECLOOP_SECRET_KEY": make_secret()}, config)
    assert info.value.message.startswith(message)
    assert str(info.value.place) == str(config)
    if hint is not None:
        assert info.value.hint == hint
