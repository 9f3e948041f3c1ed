"""The password reset flow: requests queued, mailed off the request path, and used once.

``forgotten_password`` must not tell whether an account uses an address, neither by its answer
nor by its time, and must not let a stranger fill someone's mailbox. So the request does the
same thing for every address: it takes a slot in the reset request limits
(``ResetRequestLimiter``, per address and per client) and queues the address
(``password_reset_requests``). Everything that depends on the address belongs to the mail
sender (:func:`deliver_queued_requests`, run by ``processes.mail_sender``): looking the account
up, making the token and sending the mail, which may wait on an SMTP server for seconds.

Using a token changes the password, which ends every session (the token generation) and revokes
every API key of the account, and kills every other reset token of the account.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from avatar_server.db.models import ApiKey, PasswordResetRequest, PasswordResetToken, User
from avatar_server.db.types import utcnow
from avatar_server.security.secrets import digest, new_reset_token
from avatar_server.services.errors import InvalidInputError
from avatar_server.services.mail import Mailer
from avatar_server.services.rate_limit import ResetRequestLimiter
from avatar_server.services.users import check_password_policy, set_password
from avatar_server.settings import Settings

logger = logging.getLogger("avatar_server")

REQUESTED = "if an account uses this address, a reset token is on its way to it"
RESET_DONE = (
    "the password was changed; every session and every API key of the account was revoked: "
    "sign in with the new password and create new API keys"
)
_BATCH = 50


def queue_request(db: Session, email: str, limiter: ResetRequestLimiter, address: str) -> None:
    """Count the request against the limits (429 when over) and queue it for the sender. The
    statements are the same whether or not an account uses ``email``: none reads users."""
    limiter.acquire(email, address)
    db.add(PasswordResetRequest(email=email.strip(), requested_at=utcnow()))
    db.commit()


def deliver_queued_requests(
    sessions: sessionmaker[Session], mailer: Mailer, settings: Settings
) -> int:
    """Take the queued requests, oldest first, and mail a reset token for each whose address an
    active account uses; the others are dropped. Returns how many requests were taken.

    A request is taken by deleting its row: of several senders sharing the database (one per
    host), only the one whose delete matched it handles it. A mail that cannot be sent is lost
    (logged without address nor token); its owner can ask again."""
    taken = 0
    while True:
        with sessions() as db:
            ids = list(
                db.scalars(
                    select(PasswordResetRequest.id).order_by(PasswordResetRequest.id).limit(_BATCH)
                )
            )
        if not ids:
            return taken
        for request_id in ids:
            if _deliver(sessions, mailer, settings, request_id):
                taken += 1


def _deliver(
    sessions: sessionmaker[Session], mailer: Mailer, settings: Settings, request_id: int
) -> bool:
    with sessions() as db:
        email = db.scalar(
            delete(PasswordResetRequest)
            .where(PasswordResetRequest.id == request_id)
            .returning(PasswordResetRequest.email)
        )
        if email is None:  # another sender took it
            db.rollback()
            return False
        user = db.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None or not user.is_active:
            db.commit()
            return True
        token = new_reset_token()
        db.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=digest(token),
                expires_at=utcnow() + timedelta(seconds=settings.reset_token_seconds),
            )
        )
        db.commit()
        to, username = user.email, user.username
    minutes = max(1, settings.reset_token_seconds // 60)
    try:
        mailer.send(
            to=to,
            subject="Reset your avatars password",
            body=(
                f"Someone asked to reset the password of the avatars account {username!r}.\n"
                f"Reset token: {token}\n"
                f"It works once and expires in {minutes} minutes. Resetting the password signs "
                "the account out everywhere and revokes its API keys. "
                "If you did not ask for this, ignore this message.\n"
            ),
        )
    except Exception as exc:
        logger.warning(
            "could not send the password reset mail of the account %r: %s (it may ask again)",
            username,
            exc,
        )
    return True


def reset_password(
    db: Session,
    *,
    email: str,
    token: str,
    new_password: str,
    new_password_repeated: str,
    settings: Settings,
) -> None:
    """Set a new password with a reset token. The token and every other unused reset token of
    the account die, every session ends and every API key of the account is revoked."""
    if new_password != new_password_repeated:
        raise InvalidInputError("the two new passwords differ")
    invalid = InvalidInputError("invalid or expired reset token")
    row = db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token))
    )
    user = db.get(User, row.user_id) if row is not None else None
    if (
        row is None
        or user is None
        or user.email.lower() != email.strip().lower()
        or row.used_at is not None
        or row.expires_at <= utcnow()
    ):
        raise invalid
    check_password_policy(new_password, settings.min_password_length)
    now = utcnow()
    # Conditional, so that of two concurrent uses of tokens of this account only one wins.
    used = db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount == 0:  # type: ignore[attr-defined]
        db.rollback()
        raise invalid
    set_password(user, new_password)
    db.execute(delete(ApiKey).where(ApiKey.user_id == user.id))
    db.commit()
