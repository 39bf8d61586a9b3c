"""The server's secrets handling: argon2 for passwords and tokens, HMAC-SHA256 for cookies and webhooks.

Every comparison of a secret with a value sent by a client is constant-time (hmac.compare_digest or
argon2's own verification).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106's second recommended option (argon2id, 64 MiB, 3 passes), argon2-cffi's defaults.
_HASHER = PasswordHasher()
TOKEN_PREFIX = "slp_"  # noqa: S105  # nosec B105: a public marker, not a secret
_DUMMY: list[str] = []


class Scope(str, Enum):
    """Token scopes; each grants the ones below it (admin > write > read)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Scope).index(self)


def grants(held: tuple[Scope, ...], needed: Scope) -> bool:
    return any(scope.rank >= needed.rank for scope in held)


def parse_scopes(text: str) -> tuple[Scope, ...]:
    return tuple(Scope(part) for part in text.split(",") if part)


def hash_secret(value: str) -> str:
    return _HASHER.hash(value)


def verify_secret(stored: str, value: str) -> bool:
    try:
        return _HASHER.verify(stored, value)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def burn_verification(value: str) -> None:
    """Spend the time of one verification, so an unknown user name answers as slowly as a known one."""
    if not _DUMMY:
        _DUMMY.append(_HASHER.hash(secrets.token_urlsafe(16)))
    verify_secret(_DUMMY[0], value)


@dataclass(frozen=True)
class NewToken:
    prefix: str
    value: str  # shown once to its owner, then only its hash is kept


def new_token() -> NewToken:
    prefix = secrets.token_hex(6)
    return NewToken(prefix, f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}")


def token_prefix(value: str) -> str | None:
    """The lookup part of a token as a client sent it, or None when it is not shaped like one."""
    if not value.startswith(TOKEN_PREFIX) or len(value) > 128:
        return None
    prefix, sep, rest = value[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(prefix) != 12 or not rest:
        return None
    try:
        int(prefix, 16)
    except ValueError:
        return None
    return prefix


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class Signer:
    """HMAC-SHA256 with keys derived per purpose from the server's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._root = secret_key.encode("utf-8")

    def _key(self, purpose: str) -> bytes:
        return hmac.new(self._root, f"secloop/{purpose}/v1".encode(), hashlib.sha256).digest()

    def mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key(purpose), value.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, purpose: str, value: str) -> str:
        return f"{value}.{self.mac(purpose, value)}"

    def unsign(self, purpose: str, signed: str) -> str | None:
        value, sep, mac = signed.rpartition(".")
        if not sep or not value:
            return None
        return value if hmac.compare_digest(mac, self.mac(purpose, value)) else None


def random_id() -> str:
    return secrets.token_urlsafe(32)


def github_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """GitHub's X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the raw body."""
    if header is None or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.encode("utf-8", "replace"))


def same_secret(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


def pagerduty_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """PagerDuty v3's X-PagerDuty-Signature: "v1=" and the hex HMAC-SHA256 of the raw body.

    While a secret is rotated the header lists several, comma-separated; one match is enough. Every
    candidate is compared (in constant time), so the answer's timing does not say which one matched.
    """
    if header is None or len(header) > 4096:
        return False
    expected = ("v1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()).encode("ascii")
    matched = False
    for candidate in header.split(","):
        matched |= hmac.compare_digest(expected, candidate.strip().encode("utf-8", "replace"))
    return matched
