"""Authentication lines of local and non-SSH services in syslog files: PAM module lines of any
service (pam_unix, pam_faillock, pam_tally2) and the failure summaries sudo, su and login write.

One attempt is one counted failure. pam_unix logs the first failure of a PAM handle ("authentication
failure; … user=X") and, when the handle ends, "N more authentication failures"; both are counted.
sudo ("N incorrect password attempts"), su ("FAILED SU (to X) Y on TTY") and login ("FAILED LOGIN (n)
… FOR 'X'") then summarise the same attempts, so a summary only counts the attempts its service's PAM
lines for the same account and terminal did not already count in the last ten minutes. With
pam_unix in the stack the summary adds nothing; with a stack that logs no failure (sssd, LDAP) the
summary is the record.

A PAM session line is no proof of authentication (cron, systemd --user, sudo NOPASSWD and root's su
open sessions without one). Only the sessions of services that authenticate a person at a console
or display manager count as a successful logon: `login` and the display managers' password services
(`gdm-password`, `lightdm`, `sddm`); their autologin services have other names and do not count.

sshd's own PAM lines keep their meaning in `syslog` (sshd's "Failed …" line is the counted one).
"""

from __future__ import annotations

import re

from secloop.monitor import events as ev
from secloop.monitor.events import Event

LOGON_SERVICES = frozenset({"login", "gdm-password", "lightdm", "sddm"})
_LOGON_SESSIONS = tuple(f"pam_unix({service}:session)" for service in sorted(LOGON_SERVICES))
SUMMARY_PROGRAMS = frozenset({"sudo", "su", "login"})
CORRELATE_SECONDS = 600.0
_MAX_PENDING = 4096

MODULE = re.compile(r"(pam_unix|pam_faillock|pam_tally2?)\(([^:()]+):(\w+)\): (.*)")
AUTH_FAIL = re.compile(r"authentication failure; (.*)")
MORE = re.compile(r"(\d+) more authentication failures?; (.*)")
FIELDS = re.compile(r"(\w+)=(\S*)")
LOCKED = re.compile(r"(?:Consecutive login failures for user (\S+)|user (\S+) \(\d+\) tally)")
OPENED = re.compile(r"session opened for user ([^\s(]+)")
SUDO_FAIL = re.compile(r"\s*(\S+) : (\d+) incorrect password attempts? ; TTY=(\S+) ;")
SUDO_RAN = re.compile(r"\s*(\S+) : TTY=(\S+) ;")
SU = re.compile(r"(FAILED SU )?\(to (\S+)\) (\S+) on (\S+)")
LOGIN_FAIL = re.compile(r"FAILED LOGIN \(\d+\)(?: on '([^']*)')?(?: from '([^']*)')? FOR '([^']*)'")
REPEATED = re.compile(r"message repeated (\d+) times: \[ ?(.*)\]\s*$")


def _tty(value: str | None) -> str | None:
    if not value or value in ("none", "(none)"):
        return None
    return value[5:] if value.startswith("/dev/") else value


class PamLines:
    """Events of one file's non-sshd authentication lines; remembers PAM-counted failures per
    (service, account, terminal) until the service's summary line arrives."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.counted: dict[tuple[str, str, str | None], tuple[float, int]] = {}  # -> (last time, attempts)

    @staticmethod
    def wants(program: str, msg: str) -> bool:
        """Cheap pre-check before the time stamp is read: cron's and systemd's session lines are the
        bulk of a busy auth log and never an event."""
        head = msg[:4]
        if head == "pam_":
            return ":session)" not in msg or msg.startswith(_LOGON_SESSIONS)
        return head in ("PAM ", "mess") or program in SUMMARY_PROGRAMS

    def _event(
        self, kind: str, type_: str, when: float, fields: tuple[str, str | None, str | None, str | None]
    ) -> Event:
        service, account, ip, tty = fields
        outcome = ev.outcome_of(type_)
        event = Event(when, type_, "pam", ip, account, outcome, self.path, 0, kind, "")
        event.service, event.tty = service, tty
        return event

    def _remember(self, service: str, account: str | None, tty: str | None, when: float, n: int) -> None:
        key = (service, account or "", tty)  # "": pam_unix names no user when the user is unknown
        before = self.counted.pop(key, None)
        total = n + (before[1] if before is not None and when - before[0] <= CORRELATE_SECONDS else 0)
        if len(self.counted) >= _MAX_PENDING:
            del self.counted[next(iter(self.counted))]
        self.counted[key] = (when, total)

    def _uncounted(self, service: str, account: str, tty: str | None, when: float, n: int) -> int:
        before = self.counted.pop((service, account, tty), None) or self.counted.pop((service, "", tty), None)
        if before is None or when - before[0] > CORRELATE_SECONDS:
            return n
        return max(0, n - before[1])

    def message(self, program: str, msg: str, when: float, raw: str, number: int) -> Event | None:
        event = self._parse(program, msg, when)
        if event is not None:
            event.raw, event.line = raw, number
        return event

    def _parse(self, program: str, msg: str, when: float, count: int = 1) -> Event | None:
        if msg.startswith("pam_"):
            m = MODULE.match(msg)
            return self._module(m[1], m[2], m[3], m[4], when, count) if m is not None else None
        if msg.startswith("PAM "):  # older pam_unix: "PAM 2 more authentication failures; …"
            return self._module("pam_unix", program, "auth", msg[4:], when, count)
        if msg.startswith("message repeated"):
            m = REPEATED.match(msg)
            if m is not None and count == 1:
                return self._parse(program, m[2], when, int(m[1]))
            return None
        if program == "sudo":
            return self._sudo(msg, when)
        if program == "su":
            return self._su(msg, when)
        if program == "login":
            return self._login(msg, when)
        return None

    def _module(
        self, module: str, service: str, kind: str, text: str, when: float, count: int
    ) -> Event | None:
        if service == "sshd" or kind not in ("auth", "session"):
            return None
        if kind == "session":
            m = OPENED.match(text)
            if m is None or service not in LOGON_SERVICES:
                return None
            fields = (service, m[1], None, None)
            return self._event(f"pam:{service}:session-opened", ev.LOGIN_SUCCESS, when, fields)
        if module == "pam_unix":
            m = AUTH_FAIL.match(text)
            n = 1
            if m is None:
                m = MORE.match(text)
                if m is None:
                    return None
                n = int(m[1])
                values = dict(FIELDS.findall(m[2]))
            else:
                values = dict(FIELDS.findall(m[1]))
            n *= count
            account, tty = values.get("user") or None, _tty(values.get("tty"))
            self._remember(service, account, tty, when, n)
            event = self._event(
                f"pam:{service}:auth-failure", ev.LOGIN_FAIL, when,
                (service, account, values.get("rhost") or None, tty),
            )  # fmt: skip
            event.count = n
            return event
        m = LOCKED.match(text)
        if m is None:
            return None
        return self._event(f"pam:{service}:locked", ev.LOGIN_LOCK, when, (service, m[1] or m[2], None, None))

    def _summary(
        self, kind: str, service: str, account: str, tty: str | None, when: float, n: int
    ) -> Event | None:
        left = self._uncounted(service, account, tty, when, n)
        if not left:
            return None
        event = self._event(kind, ev.LOGIN_FAIL, when, (service, account, None, tty))
        event.count = left
        return event

    def _sudo(self, msg: str, when: float) -> Event | None:
        m = SUDO_FAIL.match(msg)
        if m is not None:
            return self._summary("sudo:incorrect-password", "sudo", m[1], _tty(m[3]), when, int(m[2]))
        m = SUDO_RAN.match(msg)
        if m is not None:  # authenticated (or needed no password): earlier failures are settled
            self.counted.pop(("sudo", m[1], _tty(m[2])), None)
        return None

    def _su(self, msg: str, when: float) -> Event | None:
        m = SU.match(msg)
        if m is None:
            return None
        if m[1] is None:
            self.counted.pop(("su", m[2], _tty(m[4])), None)
            return None
        return self._summary("su:failed", "su", m[2], _tty(m[4]), when, 1)

    def _login(self, msg: str, when: float) -> Event | None:
        m = LOGIN_FAIL.match(msg)
        if m is None:
            return None
        event = self._summary("login:failed", "login", m[3], _tty(m[1]), when, 1)
        if event is not None and m[2]:
            event.ip = m[2]
        return event
