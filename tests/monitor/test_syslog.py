"""OpenSSH lines in syslog files -> OWASP vocabulary events."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secloop.core.errors import ConfigError
from secloop.monitor.config import MonitorConfig
from secloop.monitor.events import Event, iso
from secloop.monitor.stream import Source, Stats, read_all
from secloop.monitor.syslog import Malformed
from tests.monitor.conftest import event, parse_one

HEAD = "Mar 14 06:00:01 bastion sshd[4242]: "
FAIL = "Failed password for root from 192.0.2.1 port 2 ssh2"
PAM = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser="


@pytest.mark.parametrize(
    ("message", "type_", "account", "ip", "kind", "count"),
    [
        (
            "Failed password for root from 203.0.113.10 port 39366 ssh2",
            "authn_login_fail", "root", "203.0.113.10", "sshd:failed-password", 1,
        ),
        (
            "Failed password for invalid user admin from 198.51.100.23 port 50122 ssh2",
            "authn_login_fail", "admin", "198.51.100.23", "sshd:failed-password", 1,
        ),
        (
            "Failed publickey for git from 2001:db8::7 port 4022 ssh2: ED25519 SHA256:abc",
            "authn_login_fail", "git", "2001:db8::7", "sshd:failed-publickey", 1,
        ),
        (
            "Failed none for invalid user  from 192.0.2.9 port 5 ssh2",
            "authn_login_fail", None, "192.0.2.9", "sshd:failed-none", 1,
        ),
        (
            "Accepted publickey for alice from 10.0.0.5 port 50000 ssh2: ED25519 SHA256:xyz",
            "authn_login_success", "alice", "10.0.0.5", "sshd:accepted-publickey", 1,
        ),
        (
            "Accepted keyboard-interactive/pam for dave from 10.0.0.8 port 50001 ssh2",
            "authn_login_success", "dave", "10.0.0.8", "sshd:accepted-keyboard-interactive/pam", 1,
        ),
        (
            "Invalid user oracle from 198.51.100.23 port 50122",
            "authn_user_unknown", "oracle", "198.51.100.23", "sshd:invalid-user", 1,
        ),
        (
            "Connection closed by authenticating user root 203.0.113.10 port 39366 [preauth]",
            "authn_login_abandoned", "root", "203.0.113.10", "sshd:closed-authenticating", 1,
        ),
        (
            "Disconnected from invalid user pi 198.51.100.23 port 50122 [preauth]",
            "authn_login_abandoned", "pi", "198.51.100.23", "sshd:closed-invalid", 1,
        ),
        (
            "error: maximum authentication attempts exceeded for root from 203.0.113.10 port 39366 ssh2"
            " [preauth]",
            "authn_login_fail_max", "root", "203.0.113.10", "sshd:max-auth-tries", 1,
        ),
        (
            "error: maximum authentication attempts exceeded for invalid user test from 192.0.2.1 port 2 ssh2"
            " [preauth]",
            "authn_login_fail_max", "test", "192.0.2.1", "sshd:max-auth-tries", 1,
        ),
        (
            "User root from 192.0.2.3 not allowed because not listed in AllowUsers",
            "authz_fail", "root", "192.0.2.3", "sshd:user-not-allowed", 1,
        ),
        (
            f"{PAM} rhost=192.0.2.4  user=root",
            "authn_pam_fail", "root", "192.0.2.4", "pam:auth-failure", 1,
        ),
        (
            f"{PAM} rhost=192.0.2.4",
            "authn_pam_fail", None, "192.0.2.4", "pam:auth-failure", 1,
        ),
        (
            "pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked",
            "authn_login_lock", "root", None, "pam:locked", 1,
        ),
        (
            "message repeated 3 times: [ Failed password for root from 203.0.113.10 port 39366 ssh2]",
            "authn_login_fail", "root", "203.0.113.10", "sshd:failed-password", 3,
        ),
        (
            "Timeout, client not responding from user alice 10.0.0.5 port 50000",
            "session_expired", "alice", "10.0.0.5", "sshd:client-timeout", 1,
        ),
        (
            "banner exchange: Connection from 192.0.2.200 port 4242: invalid format",
            "malicious_extraneous", None, "192.0.2.200", "sshd:not-ssh", 1,
        ),
        (
            "Bad protocol version identification 'GET / HTTP/1.1' from 192.0.2.201 port 80",
            "malicious_extraneous", None, "192.0.2.201", "sshd:not-ssh", 1,
        ),
    ],
)  # fmt: skip
def test_sshd_messages(message: str, type_: str, account: str | None, ip: str, kind: str, count: int) -> None:
    got = event(HEAD + message)
    assert (got.type, got.account, got.ip, got.kind, got.count, got.source) == (
        type_,
        account,
        ip,
        kind,
        count,
        "ssh",
    )
    assert got.origin == "log:7"
    assert iso(got.time) == "2026-03-14T06:00:01Z"
    assert got.outcome == ("success" if type_ == "authn_login_success" else "failure")


@pytest.mark.parametrize(
    "line",
    [
        HEAD + "Received disconnect from 10.0.0.5 port 50000:11: disconnected by user",
        HEAD + "Disconnected from user alice 10.0.0.5 port 50000",
        HEAD + "pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)",
        HEAD + "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.4",
        HEAD + "Connection closed by 10.0.0.5 port 50000",
        HEAD + "Timeout before authentication for 192.0.2.9 port 4242",
        "Mar 14 06:00:01 bastion CRON[812]: pam_unix(cron:session): session opened for user root(uid=0)",
        "Mar 14 06:00:01 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls",
    ],
)
def test_lines_that_are_no_security_event(line: str) -> None:
    assert parse_one(line) is None


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        (
            f"2026-03-14T06:00:01.123456+01:00 bastion sshd[1]: {FAIL}",
            "2026-03-14T05:00:01.123Z",
        ),
        (
            "2026-03-14T06:00:01+0000 bastion sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2",
            None,
        ),
        (
            f"2026-03-14T06:00:01Z bastion sshd-session[1]: {FAIL}",
            None,
        ),
        (
            f"<38>1 2026-03-14T06:00:01.000Z bastion sshd 1234 - - {FAIL}",
            None,
        ),
        (
            f'<38>1 2026-03-14T06:00:01Z bastion sshd 1234 - [meta x="1"] {FAIL}',
            None,
        ),
    ],
)
def test_iso_and_rfc5424_stamps(line: str, stamp: str | None) -> None:
    got = event(line)
    assert (got.type, got.account, got.ip) == ("authn_login_fail", "root", "192.0.2.1")
    assert iso(got.time) == (stamp or "2026-03-14T06:00:01Z")


def test_malformed_and_bad_time() -> None:
    bad = parse_one("this is not syslog at all")
    assert isinstance(bad, Malformed) and bad.reason.startswith("not a syslog line")
    wrong = parse_one("Mar 32 06:00:01 bastion sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2")
    assert isinstance(wrong, Malformed) and wrong.reason == "unreadable timestamp"


def test_configured_timezone_applies_to_classic_stamps() -> None:
    got = event(
        HEAD + "Failed password for root from 192.0.2.1 port 2 ssh2",
        config=MonitorConfig(timezone="Europe/Berlin"),
    )
    assert iso(got.time) == "2026-03-14T05:00:01Z"
    with pytest.raises(ConfigError, match="unknown timezone 'Mars/Olympus'"):
        parse_one(HEAD, config=MonitorConfig(timezone="Mars/Olympus"))


def _times(path: Path, year: int | None) -> list[str]:
    stats = Stats()
    return [
        iso(e.time) for e in read_all([Source("auth", "syslog", path)], MonitorConfig(), stats, year=year)
    ]


def test_year_given_rolls_over_at_new_year(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(
        "Dec 31 23:59:58 h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\n"
        "Jan  1 00:00:03 h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\n"
    )
    assert _times(path, 2025) == ["2025-12-31T23:59:58Z", "2026-01-01T00:00:03Z"]


def test_year_from_modification_time(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(
        "Dec 31 23:59:58 h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\n"
        "Jan  2 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\n"
    )
    written = datetime(2026, 1, 2, 10, 5, tzinfo=UTC).timestamp()
    os.utime(path, (written, written))
    assert _times(path, None) == ["2025-12-31T23:59:58Z", "2026-01-02T10:00:00Z"]


def test_event_sample_names_file_and_line() -> None:
    got = event(HEAD + "Failed password for root from 192.0.2.1 port 2 ssh2")
    assert isinstance(got, Event)
    assert got.sample(40) == "log:7: Mar 14 06:00:01 bastion sshd[4242]: Fail"
