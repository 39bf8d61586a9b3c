"""Normalised security events: the OWASP Logging Vocabulary names, plus three secloop extensions.

Event times are UTC epoch seconds (floats) while streaming — cheaper to compare and subtract than
datetimes — and become ISO 8601 strings only when rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# OWASP Logging Vocabulary (cheatsheetseries.owasp.org/cheatsheets/Logging_Vocabulary_Cheat_Sheet.html)
LOGIN_SUCCESS = "authn_login_success"
LOGIN_FAIL = "authn_login_fail"
LOGIN_FAIL_MAX = "authn_login_fail_max"
LOGIN_LOCK = "authn_login_lock"
PASSWORD_CHANGE = "authn_password_change"  # noqa: S105  # nosec B105
PASSWORD_CHANGE_FAIL = "authn_password_change_fail"  # noqa: S105  # nosec B105
IMPOSSIBLE_TRAVEL = "authn_impossible_travel"
TOKEN_INVALID = "authn_token_invalid"  # noqa: S105  # nosec B105
AUTHZ_FAIL = "authz_fail"
RATE_LIMITED = "excess_rate_limit_exceeded"
SESSION_EXPIRED = "session_expired"
MALICIOUS_EXTRANEOUS = "malicious_extraneous"
MALICIOUS_ATTACK_TOOL = "malicious_attack_tool"
# secloop extensions, for log lines that record part of an attempt the vocabulary has no name for.
# None of them is counted as a failed logon (the sshd "Failed …" line of the same attempt is).
USER_UNKNOWN = "authn_user_unknown"  # sshd "Invalid user X from IP"
LOGIN_ABANDONED = "authn_login_abandoned"  # closed/disconnected while authenticating [preauth]
PAM_FAIL = "authn_pam_fail"  # pam_unix(sshd:auth) failure, logged next to sshd's own "Failed" line

VOCABULARY = frozenset(
    {
        LOGIN_SUCCESS,
        "authn_login_successafterfail",
        LOGIN_FAIL,
        LOGIN_FAIL_MAX,
        LOGIN_LOCK,
        PASSWORD_CHANGE,
        PASSWORD_CHANGE_FAIL,
        IMPOSSIBLE_TRAVEL,
        "authn_token_created",
        "authn_token_revoked",
        "authn_token_reuse",
        "authn_token_delete",
        TOKEN_INVALID,
        AUTHZ_FAIL,
        "authz_change",
        "authz_admin",
        RATE_LIMITED,
        "input_validation_fail",
        "malicious_excess_404",
        MALICIOUS_EXTRANEOUS,
        MALICIOUS_ATTACK_TOOL,
        "malicious_cors",
        "malicious_direct_reference",
        "privilege_permissions_changed",
        "sequence_fail",
        "session_created",
        "session_renewed",
        SESSION_EXPIRED,
        "session_use_after_expire",
        "user_created",
        "user_updated",
        "user_archived",
        "user_deleted",
    }
)
EXTENSIONS = frozenset({USER_UNKNOWN, LOGIN_ABANDONED, PAM_FAIL})
SUCCESS_TYPES = frozenset({LOGIN_SUCCESS, "authn_login_successafterfail", PASSWORD_CHANGE, "session_created"})

SOURCES = ("ssh", "pam", "http", "k8s", "app")


@dataclass(slots=True)
class Event:
    time: float  # UTC epoch seconds
    type: str  # vocabulary name
    source: str  # ssh | pam | http | k8s | app
    ip: str | None
    account: str | None
    outcome: str  # success | failure
    path: str  # origin file ("-" for stdin)
    line: int
    kind: str  # what the raw line was, e.g. "sshd:failed-password", "http:401"
    raw: str
    count: int = 1  # "message repeated N times" stands for N attempts
    lat: float | None = None
    lon: float | None = None
    service: str | None = None  # PAM service (sudo, su, login, vsftpd, …) of "pam" events
    tty: str | None = None  # terminal of a local attempt, without "/dev/"

    @property
    def origin(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def where(self) -> str | None:
        """Where the attempt came from: the remote address, else the local terminal."""
        if self.ip is not None:
            return self.ip
        return f"tty:{self.tty}" if self.tty is not None else None

    def sample(self, limit: int = 160) -> str:
        return f"{self.origin}: {self.raw[:limit]}"


def outcome_of(event_type: str) -> str:
    return "success" if event_type in SUCCESS_TYPES else "failure"


def iso(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")
