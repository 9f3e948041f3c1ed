"""Sign-in, token refresh with rotation, and credential resolution.

Access tokens are stateless (signature, expiry and the user's token generation). Refresh tokens
are recorded (``refresh_tokens``) and work once: each refresh issues the next token of the same
family, and a used token presented again revokes its family (see :func:`refresh`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from avatar_server.db.models import ApiKey, RefreshToken, User
from avatar_server.db.types import utcnow
from avatar_server.security.secrets import API_KEY_PREFIX, digest
from avatar_server.security.tokens import (
    InvalidTokenError,
    decode_token,
    issue_token,
    new_token_id,
)
from avatar_server.services.errors import (
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
)
from avatar_server.services.rate_limit import LoginRateLimiter
from avatar_server.services.users import authenticate, create_user
from avatar_server.settings import Settings

API_KEY_SCHEME = "api-key-v1"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


def issue_tokens(
    db: Session,
    user_id: uuid.UUID,
    generation: int,
    secret: str,
    settings: Settings,
    family: uuid.UUID | None = None,
) -> TokenPair:
    """A new pair; the refresh token is recorded in ``family`` (a new one: a sign-in) and
    committed. The user's refresh tokens past their expiry go: they are of no use any more, not
    even to detect a reuse."""
    token_id = new_token_id()
    lifetime = settings.refresh_token_seconds
    db.execute(
        delete(RefreshToken).where(
            RefreshToken.user_id == user_id, RefreshToken.expires_at <= utcnow()
        )
    )
    db.add(
        RefreshToken(
            id=token_id,
            family=family or uuid.uuid4(),
            user_id=user_id,
            expires_at=utcnow() + timedelta(seconds=lifetime),
        )
    )
    db.commit()
    access = settings.access_token_seconds
    return TokenPair(
        access_token=issue_token(secret, user_id, generation, "access", access),
        refresh_token=issue_token(secret, user_id, generation, "refresh", lifetime, token_id),
        expires_in=access,
        refresh_expires_in=lifetime,
    )


def login(
    db: Session,
    username: str,
    password: str,
    secret: str,
    settings: Settings,
    *,
    limiter: LoginRateLimiter | None = None,
    address: str = "unknown",
) -> TokenPair:
    """Check the password and issue tokens. With a ``limiter``, the attempt takes a slot before
    the password is checked (429 once the username or the address is over its limit) and gives
    it back on success, so only failures count."""
    attempt = limiter.acquire(username, address) if limiter is not None else None
    user = authenticate(db, username, password)
    if user is None and settings.local_mode and password:
        user = _first_local_sign_in(db, username, password)
    if user is None:
        raise NotAuthenticatedError("incorrect username or password")
    if limiter is not None and attempt is not None:
        limiter.forgive(attempt)
    return issue_tokens(db, user.id, user.token_generation, secret, settings)


def _first_local_sign_in(db: Session, username: str, password: str) -> User | None:
    """Local single-user mode: a name signing in for the first time becomes a user (the
    documentation's ``authenticate("user", "pass")`` then works on a laptop unchanged)."""
    if db.scalar(select(User).where(func.lower(User.username) == username.lower())) is not None:
        return None
    try:
        user = create_user(db, username=username, email=f"{username}@localhost", password=password)
    except (InvalidInputError, ConflictError):
        db.rollback()
        return None
    db.commit()
    return user


@dataclass(frozen=True)
class Principal:
    """Whom a request acts for: enough to scope its reads, without loading the user."""

    user_id: uuid.UUID
    is_admin: bool


_USERS = User.__table__
_KEYS = ApiKey.__table__
_PRINCIPAL = (_USERS.c.id, _USERS.c.is_active, _USERS.c.is_admin, _USERS.c.token_generation)
# Built once: clients polling jobs send a credential with every request, and building a
# statement costs more than running it on SQLite.
_USER_BY_ID = select(*_PRINCIPAL).where(_USERS.c.id == bindparam("user_id"))
_USER_BY_KEY = (
    select(*_PRINCIPAL, _KEYS.c.expires_at, _KEYS.c.last_used_at, _KEYS.c.id.label("key_id"))
    .join_from(_USERS, _KEYS, _KEYS.c.user_id == _USERS.c.id)
    .where(_KEYS.c.key_hash == bindparam("key_hash"))
)
# The condition is repeated in the statement so that, of several server processes seeing the
# same stale time, only the first writes.
_MARK_KEY_USED = (
    update(ApiKey)
    .where(
        ApiKey.id == bindparam("key_id"),
        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < bindparam("stale_before")),
    )
    .values(last_used_at=bindparam("now"))
    .execution_options(synchronize_session=False)  # no loaded key to keep in step
)


def principal_from_authorization(
    db: Session | Connection, header: str | None, secret: str, key_use_seconds: float
) -> Principal:
    """Resolve ``Authorization: Bearer <jwt>`` or ``Authorization: api-key-v1 <key>``.

    An API key's last use is recorded, at most once per ``key_use_seconds``
    (:func:`_record_key_use`)."""
    if not header:
        raise NotAuthenticatedError("not authenticated")
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if not credential:
        raise NotAuthenticatedError("not authenticated")
    if scheme.lower() == "bearer":
        return _principal_from_token(db, secret, credential, "access")
    if scheme.lower() == API_KEY_SCHEME:
        return _principal_from_api_key(db, credential, key_use_seconds)
    raise NotAuthenticatedError(f"unsupported authorization scheme {scheme!r}")


def user_from_authorization(
    db: Session, header: str | None, secret: str, key_use_seconds: float
) -> User:
    """The signed-in user, for routes that change or return it."""
    principal = principal_from_authorization(db, header, secret, key_use_seconds)
    user = db.get(User, principal.user_id)
    if user is None:  # deleted since the line above
        raise NotAuthenticatedError("not authenticated")
    return user


def _principal_from_token(
    db: Session | Connection, secret: str, token: str, token_type: str
) -> Principal:
    try:
        claims = decode_token(secret, token, "access" if token_type == "access" else "refresh")
    except InvalidTokenError as exc:
        raise NotAuthenticatedError(f"invalid or expired {token_type} token") from exc
    row = db.execute(_USER_BY_ID, {"user_id": claims.user_id}).first()
    if row is None or not row.is_active or row.token_generation != claims.generation:
        raise NotAuthenticatedError(f"invalid or expired {token_type} token")
    return Principal(row.id, row.is_admin)


def _principal_from_api_key(db: Session | Connection, key: str, use_seconds: float) -> Principal:
    if not key.startswith(API_KEY_PREFIX):
        raise NotAuthenticatedError("invalid API key")
    row = db.execute(_USER_BY_KEY, {"key_hash": digest(key)}).first()
    now = utcnow()
    if row is None or (row.expires_at is not None and row.expires_at <= now) or not row.is_active:
        raise NotAuthenticatedError("invalid, expired or revoked API key")
    _record_key_use(db, row.key_id, row.last_used_at, now, use_seconds)
    return Principal(row.id, row.is_admin)


def _record_key_use(
    db: Session | Connection,
    key_id: uuid.UUID,
    last_used_at: datetime | None,
    now: datetime,
    use_seconds: float,
) -> None:
    """Set the key's ``last_used_at`` to ``now`` if the recorded one is older than
    ``use_seconds``: a client polling with its key costs one write a minute, not one per
    request, and "last use" stays true to the minute. The time read with the key decides, so
    most requests write nothing, not even a statement that matches no row. Committed at once,
    before the request's own work, which has not begun."""
    stale_before = now - timedelta(seconds=use_seconds)
    if last_used_at is not None and last_used_at >= stale_before:
        return
    db.execute(_MARK_KEY_USED, {"key_id": key_id, "stale_before": stale_before, "now": now})
    db.commit()


def refresh(db: Session, refresh_token: str, secret: str, settings: Settings) -> TokenPair:
    """Exchange a refresh token, once, for the next pair of its family.

    A token presented after it was used has leaked (or its first use raced a thief's): either
    way one of the two holders is not the user, and which one cannot be told, so every token of
    the family is revoked and both must sign in again. Access tokens already issued stay valid
    until they expire (they are stateless, and short-lived)."""
    invalid = NotAuthenticatedError("invalid or expired refresh token")
    try:
        claims = decode_token(secret, refresh_token, "refresh")
    except InvalidTokenError as exc:
        raise invalid from exc
    row = db.get(RefreshToken, claims.token_id) if claims.token_id else None
    now = utcnow()
    if row is None or row.user_id != claims.user_id or row.expires_at <= now:
        raise invalid
    if row.revoked_at is not None:
        raise NotAuthenticatedError("this refresh token was revoked: sign in again")
    # Conditional, so that of two concurrent uses only one marks the token used.
    marked = db.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if row.used_at is not None or marked.rowcount != 1:  # type: ignore[attr-defined]
        db.execute(
            update(RefreshToken)
            .where(RefreshToken.family == row.family, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        db.commit()
        raise NotAuthenticatedError(
            "this refresh token was already used: every session of its sign-in is revoked, "
            "sign in again"
        )
    user = db.execute(_USER_BY_ID, {"user_id": claims.user_id}).first()
    if user is None or not user.is_active or user.token_generation != claims.generation:
        db.rollback()
        raise invalid
    return issue_tokens(db, user.id, user.token_generation, secret, settings, row.family)
