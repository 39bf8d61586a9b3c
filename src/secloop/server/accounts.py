"""Users, API tokens, sessions and the audit log: who may do what, and the trail of what was done."""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secloop.core.errors import UsageError
from secloop.server.crypto import (
    Scope,
    Signer,
    burn_verification,
    hash_secret,
    needs_rehash,
    new_token,
    parse_scopes,
    random_id,
    sha256_hex,
    token_prefix,
    verify_secret,
)
from secloop.store.engine import WRITE
from secloop.store.models import ApiTokenRow, AuditRow, SessionRow, UserRow

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOKEN_CACHE_SECONDS = 60.0
# A session's last request is written at most this often: reads stay reads on a busy dashboard.
TOUCH_SECONDS = 60
LogonOutcome = Literal["success", "bad-credentials", "locked", "disabled"]


def now() -> datetime:
    return datetime.now(tz=UTC)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    is_admin: bool


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    is_admin: bool
    created_at: datetime
    last_logon_at: datetime | None
    locked_until: datetime | None
    disabled_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    scopes: tuple[Scope, ...]
    username: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """Whoever made an API request: the token's name is what the audit log records."""

    actor: str
    scopes: tuple[Scope, ...]
    token_id: int


@dataclass(frozen=True)
class Logon:
    outcome: LogonOutcome
    user: User | None = None
    session_secret: str | None = None


@dataclass(frozen=True)
class WebSession:
    user: User
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    outcome: str
    target: str | None
    detail: dict[str, object]
    client: str | None


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise UsageError(
            f"invalid user name {username[:80]!r}",
            hint="1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
        )
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UsageError(
            f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters (got {len(password)})",
            hint="use a passphrase of several words",
        )
    return password


class Accounts:
    def __init__(
        self,
        engine: Engine,
        signer: Signer,
        *,
        lockout_failures: int = 5,
        lockout_minutes: int = 15,
        idle_minutes: float = 30.0,
    ):
        self._engine = engine
        self._idle = timedelta(minutes=idle_minutes)
        self._writer = engine.execution_options(**{WRITE: True})
        self._signer = signer
        self._failures = lockout_failures
        self._lockout = timedelta(minutes=lockout_minutes)
        # Verified tokens keyed by an HMAC of the token: argon2 runs once a minute per token, not per request.
        self._verified: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    # -- the audit log ------------------------------------------------------------------------------

    def _audit_row(
        self,
        actor: str,
        action: str,
        outcome: str,
        target: str | None = None,
        detail: dict[str, object] | None = None,
        client: str | None = None,
    ) -> dict[str, object]:
        return {
            "at": now(),
            "actor": actor[:128],
            "action": action,
            "outcome": outcome,
            "target": None if target is None else target[:255],
            "detail": json.dumps(detail or {}, sort_keys=True, default=str),
            "client": None if client is None else client[:64],
        }

    def audit(
        self,
        actor: str,
        action: str,
        outcome: str,
        target: str | None = None,
        detail: dict[str, object] | None = None,
        client: str | None = None,
        *,
        session: Session | None = None,
    ) -> None:
        """One audit row; inside `session` when given, so it commits (or not) with the change it records."""
        row = self._audit_row(actor, action, outcome, target, detail, client)
        if session is not None:
            session.execute(insert(AuditRow).values(**row))
            return
        with Session(self._writer) as own, own.begin():
            own.execute(insert(AuditRow).values(**row))

    def audit_entries(self, limit: int = 100, offset: int = 0, action: str | None = None) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit).offset(offset)
        if action:
            query = query.where(AuditRow.action == action)
        with Session(self._engine) as session:
            return [
                AuditEntry(r.id, r.at, r.actor, r.action, r.outcome, r.target, json.loads(r.detail), r.client)
                for r in session.scalars(query)
            ]

    # -- users --------------------------------------------------------------------------------------

    def create_user(self, username: str, password: str, *, is_admin: bool, actor: str) -> User:
        check_username(username)
        check_password(password)
        hashed = hash_secret(password)
        try:
            with Session(self._writer) as session, session.begin():
                user_id = session.scalars(
                    insert(UserRow)
                    .values(
                        username=username,
                        password_hash=hashed,
                        is_admin=is_admin,
                        created_at=now(),
                        failed_logons=0,
                    )
                    .returning(UserRow.id)
                ).one()
                self.audit(actor, "user.create", "success", username, {"admin": is_admin}, session=session)
        except IntegrityError:
            raise UsageError(f"the user {username!r} exists already") from None
        return User(user_id, username, is_admin)

    def user(self, username: str) -> User | None:
        with Session(self._engine) as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            return None if row is None else User(row.id, row.username, row.is_admin)

    def logon(self, username: str, password: str, client: str | None, session_hours: float) -> Logon:
        """Check a password; count failures and lock the account for a while after too many."""
        moment = now()
        if len(password) > MAX_PASSWORD or not USERNAME.match(username):
            burn_verification(password[:MAX_PASSWORD])
            self.audit(username or "-", "logon", "failure", username, {"reason": "bad-credentials"}, client)
            return Logon("bad-credentials")
        with Session(self._writer) as session, session.begin():
            row = session.scalars(
                select(UserRow).where(UserRow.username == username).with_for_update()
            ).one_or_none()
            if row is None:
                burn_verification(password)
                self.audit(
                    username,
                    "logon",
                    "failure",
                    username,
                    {"reason": "unknown-user"},
                    client,
                    session=session,
                )
                return Logon("bad-credentials")
            if row.locked_until is not None and row.locked_until > moment:
                self.audit(
                    username, "logon", "failure", username, {"reason": "locked"}, client, session=session
                )
                return Logon("locked")
            if row.disabled_at is not None:
                burn_verification(password)
                self.audit(
                    username, "logon", "failure", username, {"reason": "disabled"}, client, session=session
                )
                return Logon("disabled")
            if not verify_secret(row.password_hash, password):
                row.failed_logons += 1
                detail: dict[str, object] = {"reason": "bad-password", "failures": row.failed_logons}
                if row.failed_logons >= self._failures:
                    row.locked_until = moment + self._lockout
                    row.failed_logons = 0
                    detail["locked_until"] = row.locked_until.isoformat()
                self.audit(username, "logon", "failure", username, detail, client, session=session)
                return Logon("bad-credentials")
            row.failed_logons = 0
            row.locked_until = None
            row.last_logon_at = moment
            if needs_rehash(row.password_hash):
                row.password_hash = hash_secret(password)
            secret = random_id()
            session.execute(delete(SessionRow).where(SessionRow.expires_at < moment))
            session.execute(
                insert(SessionRow).values(
                    id=sha256_hex(secret),
                    user_id=row.id,
                    csrf_token=random_id(),
                    created_at=moment,
                    expires_at=moment + timedelta(hours=session_hours),
                    last_seen_at=moment,
                )
            )
            self.audit(username, "logon", "success", username, {}, client, session=session)
            return Logon("success", User(row.id, row.username, row.is_admin), secret)

    def web_session(self, secret: str, *, reader: Session | None = None) -> WebSession | None:
        """The live session of `secret`: not expired, not idle too long, its user not disabled.

        Using a session moves its last request (written at most once a minute); an idle one is deleted.
        `reader` is the page's own read session, if it has one (saving a connection's round trips).
        """
        moment = now()
        key = sha256_hex(secret)
        with nullcontext(reader) if reader is not None else Session(self._engine) as session:
            found = session.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.id == key, SessionRow.expires_at > moment, UserRow.disabled_at.is_(None))
            ).one_or_none()
            if found is None:
                return None
            s, u = found
            last_seen = s.last_seen_at or s.created_at
            live = WebSession(User(u.id, u.username, u.is_admin), s.csrf_token, s.expires_at)
        if reader is not None and moment - last_seen >= min(self._idle, timedelta(seconds=TOUCH_SECONDS)):
            # End the reader's transaction before writing: SQLite's writer would wait for it to finish.
            reader.rollback()
        if moment - last_seen >= self._idle:
            with Session(self._writer) as writer, writer.begin():
                writer.execute(delete(SessionRow).where(SessionRow.id == key))
                self.audit(live.user.username, "session.idle", "success", live.user.username, session=writer)
            return None
        if (moment - last_seen).total_seconds() >= TOUCH_SECONDS:
            with Session(self._writer) as writer, writer.begin():
                writer.execute(update(SessionRow).where(SessionRow.id == key).values(last_seen_at=moment))
        return live

    def logout(self, secret: str, user: User, client: str | None) -> None:
        with Session(self._writer) as session, session.begin():
            session.execute(delete(SessionRow).where(SessionRow.id == sha256_hex(secret)))
            self.audit(user.username, "logout", "success", user.username, {}, client, session=session)

    # -- API tokens ---------------------------------------------------------------------------------

    def create_token(
        self,
        name: str,
        scopes: tuple[Scope, ...],
        *,
        actor: str,
        username: str | None = None,
        expires_days: int | None = None,
    ) -> str:
        """A new token; its value is returned once and only its argon2 hash is stored."""
        if not name.strip() or len(name) > 128:
            raise UsageError("a token needs a name of 1 to 128 characters")
        if not scopes:
            raise UsageError("a token needs at least one scope", hint="--scope read, write or admin")
        if expires_days is not None and expires_days < 1:
            raise UsageError(f"--expires-days must be at least 1, got {expires_days}")
        token = new_token()
        moment = now()
        with Session(self._writer) as session, session.begin():
            user_id = None
            if username is not None:
                user_id = session.scalar(select(UserRow.id).where(UserRow.username == username))
                if user_id is None:
                    raise UsageError(
                        f"no user named {username!r}", hint="create it with `secloop admin create-user`"
                    )
            session.execute(
                insert(ApiTokenRow).values(
                    name=name,
                    prefix=token.prefix,
                    token_hash=hash_secret(token.value),
                    scopes=",".join(sorted({s.value for s in scopes})),
                    user_id=user_id,
                    created_at=moment,
                    expires_at=None if expires_days is None else moment + timedelta(days=expires_days),
                )
            )
            detail: dict[str, object] = {
                "scopes": sorted(s.value for s in scopes),
                "prefix": token.prefix,
                "user": username,
            }
            self.audit(actor, "token.create", "success", name, detail, session=session)
        return token.value

    def revoke_token(self, prefix: str, *, actor: str, client: str | None = None) -> bool:
        with Session(self._writer) as session, session.begin():
            done = session.execute(  # type: ignore[attr-defined]  # an UPDATE's CursorResult
                update(ApiTokenRow)
                .where(ApiTokenRow.prefix == prefix, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=now())
            ).rowcount
            outcome = "success" if done else "failure"
            self.audit(actor, "token.revoke", outcome, prefix, client=client, session=session)
        with self._lock:
            self._verified.clear()
        return bool(done)

    def authenticate(self, raw: str) -> tuple[Principal | None, str]:
        """The principal of a bearer token, or None and the reason it was refused."""
        prefix = token_prefix(raw)
        if prefix is None:
            return None, "malformed"
        with Session(self._engine) as session:
            found = session.execute(
                select(ApiTokenRow, UserRow.disabled_at)
                .outerjoin(UserRow, UserRow.id == ApiTokenRow.user_id)
                .where(ApiTokenRow.prefix == prefix)
            ).one_or_none()
            if found is None:
                burn_verification(raw)
                return None, "unknown"
            row, disabled = found
            token_id, token_hash, name = row.id, row.token_hash, row.name
            revoked, expires, scopes = row.revoked_at, row.expires_at, row.scopes
        if revoked is not None:
            return None, "revoked"
        if disabled is not None:
            return None, "disabled"
        if expires is not None and expires <= now():
            return None, "expired"
        key = self._signer.mac("token-cache", raw)
        clock = time.monotonic()
        with self._lock:
            cached = self._verified.get(key)
        if cached is None or cached[0] != token_id or cached[1] < clock:
            if not verify_secret(token_hash, raw):
                return None, "mismatch"
            with self._lock:
                if len(self._verified) > 10_000:
                    self._verified.clear()
                self._verified[key] = (token_id, clock + TOKEN_CACHE_SECONDS)
        return Principal(f"token:{name}", parse_scopes(scopes), token_id), "ok"

    # -- management (the admin API and page) -----------------------------------------------------------

    def users(self) -> list[UserInfo]:
        with Session(self._engine) as session:
            return [
                UserInfo(
                    r.id, r.username, r.is_admin, r.created_at, r.last_logon_at, r.locked_until, r.disabled_at
                )
                for r in session.scalars(select(UserRow).order_by(UserRow.username))
            ]

    def disable_user(self, user_id: int, *, actor: str, client: str | None = None) -> UserInfo | None:
        """Disable a user: sessions end now, logons and the user's tokens are refused. None: no such user."""
        moment = now()
        with Session(self._writer) as session, session.begin():
            row = session.get(UserRow, user_id, with_for_update=True)
            if row is None:
                return None
            if row.disabled_at is None:
                row.disabled_at = moment
                session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
                self.audit(actor, "user.disable", "success", row.username, client=client, session=session)
            info = UserInfo(
                row.id,
                row.username,
                row.is_admin,
                row.created_at,
                row.last_logon_at,
                row.locked_until,
                row.disabled_at,
            )
        with self._lock:
            self._verified.clear()
        return info

    def tokens(self) -> list[TokenInfo]:
        with Session(self._engine) as session:
            rows = session.execute(
                select(ApiTokenRow, UserRow.username)
                .outerjoin(UserRow, UserRow.id == ApiTokenRow.user_id)
                .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc())
            ).all()
            return [
                TokenInfo(
                    t.id,
                    t.name,
                    t.prefix,
                    parse_scopes(t.scopes),
                    username,
                    t.created_at,
                    t.expires_at,
                    t.revoked_at,
                )
                for t, username in rows
            ]
