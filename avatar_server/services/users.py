"""Users: creation, lookup, credentials and the first administrator."""

from __future__ import annotations

import logging
import re
import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from avatar_server.db.models import User
from avatar_server.security.files import create_private_once
from avatar_server.security.passwords import hash_password, verify_password
from avatar_server.security.secrets import new_password
from avatar_server.services.errors import ConflictError, InvalidInputError, NotFoundError
from avatar_server.settings import Settings

logger = logging.getLogger("avatar_server")

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,150}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def check_password_policy(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise InvalidInputError(f"the password must have at least {min_length} characters")


def create_user(
    db: Session,
    *,
    username: str,
    email: str,
    password: str,
    is_admin: bool = False,
    min_password_length: int = 1,
) -> User:
    if not _USERNAME.match(username):
        raise InvalidInputError(
            "the username may use letters, digits and . _ @ - only (1 to 150 characters)"
        )
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInputError(f"{email!r} is not an email address")
    check_password_policy(password, min_length=min_password_length)
    clash = db.scalar(
        select(User).where(
            or_(
                func.lower(User.username) == username.lower(),
                func.lower(User.email) == email.lower(),
            )
        )
    )
    if clash is not None:
        field = "username" if clash.username.lower() == username.lower() else "email"
        raise ConflictError(
            f"a user with this {field} already exists (letter case aside: {field}s that differ "
            "only in case are the same)"
        )
    user = User(
        username=username, email=email, password_hash=hash_password(password), is_admin=is_admin
    )
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None; takes the same time either way.
    The username's letter case does not matter."""
    user = db.scalar(select(User).where(func.lower(User.username) == username.lower()))
    ok = verify_password(password, user.password_hash if user is not None else None)
    if user is None or not ok or not user.is_active:
        return None
    return user


def get_user(db: Session, user_id: uuid.UUID) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError("user not found")
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.created_at, User.username)))


def set_password(user: User, password: str) -> None:
    """Change the password and invalidate every token issued before."""
    user.password_hash = hash_password(password)
    user.token_generation += 1


class UnusableSettingError(ValueError):
    """A setting the server cannot start with; the message names it and says what to do."""


def check_admin_password(settings: Settings) -> None:
    """``AVATAR_ADMIN_PASSWORD`` must meet the password policy, like every user's password."""
    if settings.admin_password is None:
        return
    try:
        check_password_policy(
            settings.admin_password.get_secret_value(), settings.min_password_length
        )
    except InvalidInputError as exc:
        raise UnusableSettingError(
            f"AVATAR_ADMIN_PASSWORD does not meet the password policy: {exc} "
            "(AVATAR_MIN_PASSWORD_LENGTH). Choose a longer one, or leave it unset and a random "
            "one is generated into a private file under AVATAR_HOME."
        ) from None


def ensure_first_admin(db: Session, settings: Settings) -> None:
    """On an empty database, create the administrator from the settings.

    Without ``AVATAR_ADMIN_PASSWORD`` a random password is generated and written to a 0600 file
    under ``AVATAR_HOME``; only that file's path is logged. The embedded server (local mode)
    logs it at debug level only: its one user is signed in by the client and never needs the
    administrator, so the line would only puzzle them. A chosen password must meet the password
    policy (:func:`check_admin_password`), or the server does not start.
    """
    check_admin_password(settings)
    if db.scalar(select(func.count()).select_from(User)):
        return
    if settings.admin_password is not None:
        password = settings.admin_password.get_secret_value()
    else:
        path = settings.home / "admin_password"
        password = create_private_once(path, new_password(max(24, settings.min_password_length)))
        logger.log(
            logging.DEBUG if settings.local_mode else logging.WARNING,
            "first start: created the administrator %r, whose password is in %s (sign in with "
            "it to create users; AVATAR_ADMIN_PASSWORD chooses it instead)",
            settings.admin_username,
            path,
        )
    try:
        create_user(
            db,
            username=settings.admin_username,
            email=settings.admin_email,
            password=password,
            is_admin=True,
            min_password_length=settings.min_password_length,
        )
        db.commit()
    except (ConflictError, IntegrityError):
        # API replicas starting together on one empty database: another one created it first.
        db.rollback()
        if not db.scalar(select(func.count()).select_from(User)):
            raise
