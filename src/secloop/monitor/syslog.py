"""OpenSSH authentication lines in syslog files, handing other services' PAM lines to `pam`: classic
BSD stamps, ISO stamps (rsyslog, journalctl -o short-iso) and RFC 5424.

Classic stamps ("Nov  7 08:00:01") carry neither year nor zone. The zone comes from the monitor
config (`timezone`, default UTC). The year: with `--year Y` the first line is in Y and every step back
of more than six months (Dec -> Jan) starts the next year; otherwise each stamp takes the year of a
reference time (the file's modification time, or now for stdin) and the year before when that would
put it more than a day after the reference — a log cannot be written after it was last modified.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from secloop.core.errors import ConfigError
from secloop.monitor import events as ev
from secloop.monitor.events import Event
from secloop.monitor.pam import PamLines

_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = {m: i for i, m in enumerate(_NAMES, 1)}

CLASSIC = re.compile(r"([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) \S+ ([^\s\[:]+)(?:\[\d+\])?: ?(.*)")
ISO = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*) \S+ ([^\s\[:]+)(?:\[\d+\])?: ?(.*)")
RFC5424 = re.compile(r"<\d{1,3}>1 (\S+) \S+ (\S+) \S+ \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)")

FAILED = re.compile(r"Failed (\S+) for (invalid user )?(.*?) from (\S+) port \d+")
ACCEPTED = re.compile(r"Accepted (\S+) for (.*?) from (\S+) port \d+")
INVALID = re.compile(r"Invalid user ?(.*?) from (\S+)")
ABANDONED = re.compile(
    r"(?:Connection closed by|Disconnected from) (authenticating|invalid) user ?(.*?) (\S+) port"
)
MAX_AUTH = re.compile(
    r"error: maximum authentication attempts exceeded for (invalid user )?(.*?) from (\S+) port"
)
NOT_ALLOWED = re.compile(r"User (.*?) from (\S+) not allowed because")
PAM_AUTH = re.compile(r"pam_unix\(sshd:auth\): authentication failure;.*?rhost=(\S*)(?:\s+user=(\S+))?")
LOCKED = re.compile(
    r"pam_(?:faillock|tally2?)\(sshd:auth\): (?:Consecutive login failures for user (\S+)|user (\S+) )"
)
GARBAGE = re.compile(
    r"(?:Bad protocol version identification .*? from (\S+)"
    r"|banner exchange: Connection from (\S+) port \d+: invalid format"
    r"|Did not receive identification string from (\S+))"
)
TIMEOUT = re.compile(r"Timeout, client not responding(?: from user (.*?) (\S+) port \d+)?")
REPEATED = re.compile(r"message repeated (\d+) times: \[ ?(.*)\]\s*$")


def zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = 'use an IANA name such as "Europe/Berlin"'
        raise ConfigError(f"unknown timezone {name!r}", hint=hint) from None


class Clock:
    """Epoch seconds of syslog stamps; memoised because a busy log repeats each second many times."""

    def __init__(self, tz: tzinfo, year: int | None = None, reference: float | None = None) -> None:
        self.tz = tz
        self.year = year
        self.reference = datetime.fromtimestamp(reference, tz=UTC) if reference is not None else None
        self.last_month = 0
        self.cache: dict[str, float] = {}

    def classic(self, stamp: str, month: int, day: int, hms: tuple[int, int, int]) -> float:
        if self.year is not None:
            if month < self.last_month - 6:
                self.year += 1
                self.cache.clear()
            self.last_month = month
        hit = self.cache.get(stamp)
        if hit is not None:
            return hit
        if len(self.cache) > 4096:
            self.cache.clear()
        if self.year is not None:
            value = datetime(self.year, month, day, *hms, tzinfo=self.tz).timestamp()
        else:
            ref = self.reference or datetime.now(tz=UTC)
            moment = datetime(ref.year, month, day, *hms, tzinfo=self.tz)
            if moment > ref + timedelta(days=1):
                moment = moment.replace(year=ref.year - 1)
            value = moment.timestamp()
        self.cache[stamp] = value
        return value

    def iso(self, stamp: str) -> float | None:
        hit = self.cache.get(stamp)
        if hit is not None:
            return hit
        text = stamp[:-1] + "+00:00" if stamp.endswith("Z") else stamp
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        if len(self.cache) > 4096:
            self.cache.clear()
        value = self.cache[stamp] = moment.timestamp()
        return value


class Malformed:
    """A line that does not have the file's format (counted; fatal with --strict)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


NOT_SYSLOG = Malformed("not a syslog line (expected 'Mmm dd hh:mm:ss host prog[pid]: …' or an ISO stamp)")
BAD_TIME = Malformed("unreadable timestamp")


class SyslogParser:
    def __init__(self, path: str, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self.pam = PamLines(path)

    def __call__(self, line: str, number: int) -> Event | Malformed | None:
        match = CLASSIC.match(line)
        if match is not None:
            month = MONTHS.get(match[1])
            if month is None:
                return NOT_SYSLOG
            program, msg = match[6], match[7]
            sshd = "sshd" in program
            if not sshd and not PamLines.wants(program, msg):
                return None
            try:
                stamp = line[: match.end(5)]
                hms = (int(match[3]), int(match[4]), int(match[5]))
                when = self.clock.classic(stamp, month, int(match[2]), hms)
            except ValueError:
                return BAD_TIME
            if sshd:
                return self.message(msg, when, line, number)
            return self.pam.message(program, msg, when, line, number)
        match = ISO.match(line) or RFC5424.match(line)
        if match is None:
            return NOT_SYSLOG
        program, msg = match[2], match[3]
        sshd = "sshd" in program
        if not sshd and not PamLines.wants(program, msg):
            return None
        moment = self.clock.iso(match[1].replace(" ", "T", 1))
        if moment is None:
            return BAD_TIME
        if sshd:
            return self.message(msg, moment, line, number)
        return self.pam.message(program, msg, moment, line, number)

    def _event(
        self, kind: str, type_: str, when: float, ip: str | None, account: str | None, raw: str, number: int
    ) -> Event:
        outcome = ev.outcome_of(type_)
        return Event(when, type_, "ssh", ip, account or None, outcome, self.path, number, kind, raw)

    def message(self, msg: str, when: float, raw: str, number: int, count: int = 1) -> Event | None:
        head = msg[:3]
        event: Event | None = None
        if head == "Fai":
            m = FAILED.match(msg)
            if m is not None:
                event = self._event(f"sshd:failed-{m[1]}", ev.LOGIN_FAIL, when, m[4], m[3], raw, number)
        elif head == "Acc":
            m = ACCEPTED.match(msg)
            if m is not None:
                event = self._event(f"sshd:accepted-{m[1]}", ev.LOGIN_SUCCESS, when, m[3], m[2], raw, number)
        elif head == "Inv":
            m = INVALID.match(msg)
            if m is not None:
                event = self._event("sshd:invalid-user", ev.USER_UNKNOWN, when, m[2], m[1], raw, number)
        elif head in ("Con", "Dis"):
            m = ABANDONED.match(msg)
            if m is not None:
                event = self._event(f"sshd:closed-{m[1]}", ev.LOGIN_ABANDONED, when, m[3], m[2], raw, number)
        elif head == "err":
            m = MAX_AUTH.match(msg)
            if m is not None:
                event = self._event("sshd:max-auth-tries", ev.LOGIN_FAIL_MAX, when, m[3], m[2], raw, number)
        elif head == "Use":
            m = NOT_ALLOWED.match(msg)
            if m is not None:
                event = self._event("sshd:user-not-allowed", ev.AUTHZ_FAIL, when, m[2], m[1], raw, number)
        elif head == "pam":
            m = PAM_AUTH.match(msg)
            if m is not None:
                event = self._event("pam:auth-failure", ev.PAM_FAIL, when, m[1] or None, m[2], raw, number)
            else:
                m = LOCKED.match(msg)
                if m is not None:
                    event = self._event("pam:locked", ev.LOGIN_LOCK, when, None, m[1] or m[2], raw, number)
        elif head == "Tim":
            m = TIMEOUT.match(msg)
            if m is not None:
                event = self._event("sshd:client-timeout", ev.SESSION_EXPIRED, when, m[2], m[1], raw, number)
        elif head == "mes":
            m = REPEATED.match(msg)
            if m is not None and count == 1:
                return self.message(m[2], when, raw, number, int(m[1]))
        elif head in ("Bad", "ban", "Did"):
            m = GARBAGE.match(msg)
            if m is not None:
                ip = m[1] or m[2] or m[3]
                event = self._event("sshd:not-ssh", ev.MALICIOUS_EXTRANEOUS, when, ip, None, raw, number)
        if event is not None:
            event.count = count
        return event
