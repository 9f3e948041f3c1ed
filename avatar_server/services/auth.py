"""Sign-in, token refresh, credential resolution and password reset."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.orm import Session

from avatar_server.db.models import ApiKey, PasswordResetToken, User
from avatar_server.db.types import utcnow
from avatar_server.security.secrets import API_KEY_PREFIX, digest, new_reset_token
from avatar_server.security.tokens import InvalidTokenError, decode_token, issue_token
from avatar_server.services.errors import (
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
)
from avatar_server.services.mail import Mailer
from avatar_server.services.rate_limit import LoginRateLimiter
from avatar_server.services.users import (
    authenticate,
    check_password_policy,
    create_user,
    set_password,
)
from avatar_server.settings import Settings

API_KEY_SCHEME = "api-key-v1"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


def issue_tokens(user: User, secret: str, settings: Settings) -> TokenPair:
    gen = user.token_generation
    return TokenPair(
        access_token=issue_token(secret, user.id, gen, "access", settings.access_token_seconds),
        refresh_token=issue_token(secret, user.id, gen, "refresh", settings.refresh_token_seconds),
        expires_in=settings.access_token_seconds,
        refresh_expires_in=settings.refresh_token_seconds,
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
    return issue_tokens(user, secret, settings)


def _first_local_sign_in(db: Session, username: str, password: str) -> User | None:
    """Local single-user mode: a name signing in for the first time becomes a user (the
    documentation's ``authenticate("user", "pass")`` then works on a laptop unchanged)."""
    if db.scalar(select(User).where(User.username == username)) is not None:
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
    principal = _principal_from_token(db, secret, refresh_token, "refresh")
    user = db.get(User, principal.user_id)
    if user is None:
        raise NotAuthenticatedError("invalid or expired refresh token")
    return issue_tokens(user, secret, settings)


def request_password_reset(db: Session, email: str, mailer: Mailer, settings: Settings) -> None:
    """Mail a single-use reset token if the address is known; say nothing either way."""
    user = db.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        return
    token = new_reset_token()
    db.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=digest(token),
            expires_at=utcnow() + timedelta(seconds=settings.reset_token_seconds),
        )
    )
    db.commit()
    minutes = max(1, settings.reset_token_seconds // 60)
    mailer.send(
        to=user.email,
        subject="Reset your avatars password",
        body=(
            f"Someone asked to reset the password of the avatars account {user.username!r}.\n"
            f"Reset token: {token}\n"
            f"It works once and expires in {minutes} minutes. "
            "If you did not ask for this, ignore this message.\n"
        ),
    )


def reset_password(
    db: Session,
    *,
    email: str,
    token: str,
    new_password: str,
    new_password_repeated: str,
    settings: Settings,
) -> None:
    if new_password != new_password_repeated:
        raise InvalidInputError("the two new passwords differ")
    row = db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token))
    )
    user = db.get(User, row.user_id) if row is not None else None
    if (
        row is None
        or user is None
        or user.email != email
        or row.used_at is not None
        or row.expires_at <= utcnow()
    ):
        raise InvalidInputError("invalid or expired reset token")
    check_password_policy(new_password, settings.min_password_length)
    set_password(user, new_password)
    row.used_at = utcnow()
    db.commit()
