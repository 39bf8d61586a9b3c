"""PAM lines of services other than sshd, and sudo/su/login failure summaries -> events."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.monitor.config import MonitorConfig
from secloop.monitor.events import Event, iso
from secloop.monitor.parsers import make_parser
from tests.monitor.conftest import event, parse_one, scan_text

H = "Mar 14 06:00:01 ws1 "
SUDO_PAM = (
    "sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 "
    "ruser=alice rhost=  user=alice"
)
SUDO_MORE = (
    "sudo: pam_unix(sudo:auth): 2 more authentication failures; logname=alice uid=1000 euid=0 "
    "tty=/dev/pts/0 ruser=alice rhost=  user=alice"
)
SUDO_RAN = "sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"
SUDO_SUMMARY = SUDO_RAN.replace("alice : ", "alice : 3 incorrect password attempts ; ")
SU_PAM = (
    "su[2211]: pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/1 "
    "ruser=alice rhost=  user=root"
)
SU_FAILED = "su[2211]: FAILED SU (to root) alice on pts/1"


FAIL = "authn_login_fail"
LOCK = "authn_login_lock"
OK = "authn_login_success"


def _fields(got: Event) -> tuple[object, ...]:
    return (got.type, got.source, got.service, got.account, got.ip, got.tty, got.kind, got.count, got.outcome)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            SUDO_PAM,
            (FAIL, "pam", "sudo", "alice", None, "pts/0", "pam:sudo:auth-failure", 1, "failure"),
        ),
        (
            SUDO_MORE,
            (FAIL, "pam", "sudo", "alice", None, "pts/0", "pam:sudo:auth-failure", 2, "failure"),
        ),
        (
            "sudo: PAM 2 more authentication failures; logname=alice uid=1000 euid=0 tty=/dev/pts/0 "
            "ruser=alice rhost=  user=alice",
            (FAIL, "pam", "sudo", "alice", None, "pts/0", "pam:sudo:auth-failure", 2, "failure"),
        ),
        (
            SU_PAM,
            (FAIL, "pam", "su", "root", None, "pts/1", "pam:su:auth-failure", 1, "failure"),
        ),
        (
            "vsftpd[811]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp "
            "ruser=bob rhost=198.51.100.7  user=bob",
            (FAIL, "pam", "vsftpd", "bob", "198.51.100.7", "ftp", "pam:vsftpd:auth-failure", 1,
             "failure"),
        ),
        (
            "login[901]: pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 "
            "tty=/dev/tty1 ruser= rhost=",
            (FAIL, "pam", "login", None, None, "tty1", "pam:login:auth-failure", 1, "failure"),
        ),
        (
            "vsftpd[811]: message repeated 4 times: [ pam_unix(vsftpd:auth): authentication failure; "
            "logname= uid=0 euid=0 tty=ftp ruser=bob rhost=198.51.100.7  user=bob]",
            (FAIL, "pam", "vsftpd", "bob", "198.51.100.7", "ftp", "pam:vsftpd:auth-failure", 4,
             "failure"),
        ),
        (
            "sudo: pam_faillock(sudo:auth): Consecutive login failures for user bob "
            "account temporarily locked",
            (LOCK, "pam", "sudo", "bob", None, None, "pam:sudo:locked", 1, "failure"),
        ),
        (
            "login[901]: pam_tally2(login:auth): user carol (1002) tally 4, deny 3",
            (LOCK, "pam", "login", "carol", None, None, "pam:login:locked", 1, "failure"),
        ),
        (
            "login[901]: pam_unix(login:session): session opened for user bob(uid=1001) by LOGIN(uid=0)",
            (OK, "pam", "login", "bob", None, None, "pam:login:session-opened", 1, "success"),
        ),
        (
            "gdm-password]: pam_unix(gdm-password:session): session opened for user dana(uid=1003) "
            "by (uid=0)",
            (OK, "pam", "gdm-password", "dana", None, None, "pam:gdm-password:session-opened",
             1, "success"),
        ),
        (
            SUDO_SUMMARY,
            (FAIL, "pam", "sudo", "alice", None, "pts/0", "sudo:incorrect-password", 3, "failure"),
        ),
        (
            SU_FAILED,
            (FAIL, "pam", "su", "root", None, "pts/1", "su:failed", 1, "failure"),
        ),
        (
            "login[901]: FAILED LOGIN (1) on '/dev/tty2' FOR 'erin', Authentication failure",
            (FAIL, "pam", "login", "erin", None, "tty2", "login:failed", 1, "failure"),
        ),
    ],
)  # fmt: skip
def test_pam_and_local_auth_lines(line: str, expected: tuple[object, ...]) -> None:
    got = event(H + line)
    assert _fields(got) == expected
    assert got.origin == "log:7"
    assert got.raw == H + line
    assert iso(got.time) == "2026-03-14T06:00:01Z"


@pytest.mark.parametrize(
    "line",
    [
        "CRON[812]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        "systemd[1201]: pam_unix(systemd-user:session): session opened for user bob(uid=1001) by (uid=0)",
        "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
        "su[2211]: pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)",
        "lightdm: pam_unix(lightdm-autologin:session): session opened for user kiosk(uid=1005) by (uid=0)",
        "login[901]: pam_unix(login:session): session closed for user bob",
        "sudo: pam_unix(sudo:auth): conversation failed",
        "sudo: pam_unix(sudo:auth): auth could not identify password for [alice]",
        "passwd[77]: pam_unix(passwd:chauthtok): password changed for bob",
        SUDO_RAN,
        "su[2211]: (to root) alice on pts/1",
        "su[2211]: Successful su for root by alice",
        "sshd[4242]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh rhost=192.0.2.4",
        "sshd[4242]: pam_unix(sshd:auth): check pass; user unknown",
        "polkitd[600]: Registered Authentication Agent for unix-session:2",
    ],
)
def test_lines_that_are_no_pam_event(line: str) -> None:
    assert parse_one(H + line) is None


def test_sshd_pam_line_is_not_a_second_failed_logon() -> None:
    got = event(H + "sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                "ruser= rhost=203.0.113.10  user=root")  # fmt: skip
    assert (got.type, got.source, got.kind, got.service) == (
        "authn_pam_fail",
        "ssh",
        "pam:auth-failure",
        None,
    )


def _feed(lines: list[str]) -> list[Event]:
    parser = make_parser("syslog", "auth.log", MonitorConfig(), year=2026)
    out = []
    for number, line in enumerate(lines, 1):
        got = parser(line, number)
        if isinstance(got, Event):
            out.append(got)
    return out


def test_sudo_summary_adds_only_attempts_pam_did_not_count() -> None:
    got = _feed(
        [
            "Mar 14 06:00:01 ws1 " + SUDO_PAM,
            "Mar 14 06:00:09 ws1 " + SUDO_MORE,
            "Mar 14 06:00:09 ws1 " + SUDO_SUMMARY,
        ]
    )
    assert [(e.line, e.kind, e.count) for e in got] == [
        (1, "pam:sudo:auth-failure", 1),
        (2, "pam:sudo:auth-failure", 2),
    ]


def test_sudo_summary_counts_what_pam_missed() -> None:
    # pam_unix logged only the first failure (no "more" line, e.g. rotated away): the summary adds two.
    got = _feed(["Mar 14 06:00:01 ws1 " + SUDO_PAM, "Mar 14 06:00:09 ws1 " + SUDO_SUMMARY])
    assert [(e.line, e.kind, e.count, e.account, e.tty) for e in got] == [
        (1, "pam:sudo:auth-failure", 1, "alice", "pts/0"),
        (2, "sudo:incorrect-password", 2, "alice", "pts/0"),
    ]


def test_summary_long_after_the_pam_line_counts_in_full() -> None:
    got = _feed(["Mar 14 06:00:01 ws1 " + SUDO_PAM, "Mar 14 06:10:02 ws1 " + SUDO_SUMMARY])
    assert [(e.line, e.count) for e in got] == [(1, 1), (2, 3)]


def test_success_settles_earlier_pam_failures() -> None:
    got = _feed(
        [
            "Mar 14 06:00:01 ws1 " + SUDO_PAM,
            "Mar 14 06:00:05 ws1 " + SUDO_RAN,
            "Mar 14 06:01:00 ws1 " + SUDO_SUMMARY,
        ]
    )
    assert [(e.line, e.count) for e in got] == [(1, 1), (3, 3)]


def test_su_failure_is_counted_once() -> None:
    got = _feed(["Mar 14 06:00:01 ws1 " + SU_PAM, "Mar 14 06:00:03 ws1 " + SU_FAILED])
    assert [(e.line, e.kind, e.account, e.tty, e.where) for e in got] == [
        (1, "pam:su:auth-failure", "root", "pts/1", "tty:pts/1")
    ]


def test_console_failure_of_an_unknown_user_is_counted_once() -> None:
    got = _feed(
        [
            "Mar 14 06:00:01 ws1 login[901]: pam_unix(login:auth): check pass; user unknown",
            "Mar 14 06:00:01 ws1 login[901]: pam_unix(login:auth): authentication failure; logname=LOGIN "
            "uid=0 euid=0 tty=/dev/tty1 ruser= rhost=",
            "Mar 14 06:00:04 ws1 login[901]: FAILED LOGIN (1) on '/dev/tty1' FOR 'UNKNOWN', User not known "
            "to the underlying authentication module",
        ]
    )
    assert [(e.line, e.kind, e.account, e.where) for e in got] == [
        (2, "pam:login:auth-failure", None, "tty:tty1")
    ]


def test_login_failure_from_a_remote_host_carries_it() -> None:
    got = event(
        H + "login[901]: FAILED LOGIN (2) from 'old-terminal.example' FOR 'erin', Authentication failure"
    )
    assert (got.account, got.ip, got.tty, got.where) == (
        "erin",
        "old-terminal.example",
        None,
        "old-terminal.example",
    )


def test_iso_and_rfc5424_stamps() -> None:
    got = event("2026-03-14T06:00:01+00:00 ws1 " + SU_FAILED)
    assert (got.kind, iso(got.time)) == ("su:failed", "2026-03-14T06:00:01Z")
    got = event("<86>1 2026-03-14T06:00:02Z ws1 sudo - - - " + SUDO_PAM.removeprefix("sudo: "))
    assert (got.kind, got.service, iso(got.time)) == ("pam:sudo:auth-failure", "sudo", "2026-03-14T06:00:02Z")


def test_local_su_brute_force_is_an_incident_keyed_by_account(tmp_path: Path) -> None:
    pam = SU_PAM.replace("alice", "mallory").replace("pts/1", "pts/3")
    lines = []
    for n in range(8):  # su logs its PAM failure first, then its own FAILED SU line
        lines.append(f"Mar 14 06:00:{n:02d} ws1 {pam}")
        lines.append(f"Mar 14 06:00:{n:02d} ws1 su[2211]: FAILED SU (to root) mallory on pts/3")
    report = scan_text(tmp_path, "\n".join(lines) + "\n")
    assert report.stats.events == 8
    assert report.summary.by_type == {(FAIL, "pam"): 8}
    assert [(i.detection, i.key, i.count, i.sources, i.trigger) for i in report.incidents] == [
        ("brute-force", "root", 8, {"tty:pts/3": 8}, "log:15")
    ]
