"""Rate limiting of sign-in and of password reset requests: sliding windows per subject
(username, or email address) and per client address.

Passwords are the one credential a person chooses, so they are the one worth guessing; this
caps the guesses. Each ``/api/login`` attempt takes a slot in two windows, the username's and
the client address's, *before* the password is checked (so concurrent attempts cannot slip
past the count), and a successful sign-in gives its slots back: only failed attempts count, so
a person signing in often is never locked out by their own successes, while a guesser gets
``per_user`` tries per window on one account and ``per_address`` tries per window overall (a
sweep across many usernames from one machine). Refused attempts take no slot, so the window
drains on time even while a guesser keeps knocking; ``Retry-After`` says when a slot frees.

The attempts live in the database (``login_attempts``, keys stored as digests), so every server
process, and every host sharing the database, counts the same attempts. Behind a reverse proxy,
the client address is the proxy's unless uvicorn trusts its ``X-Forwarded-For``
(``--forwarded-allow-ips``), which then makes the per-address limit apply to the real clients.

Password reset requests (``ResetRequestLimiter``) are limited the same way, per email address
and per client address, except that every request counts: none is a success to forgive.

It is a service, not a ``security`` primitive: it keeps its state in a table and refuses with a
``ServiceError``, and ``security`` stays the layer below ``services`` (it imports none of them).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select

from avatar_server.db.models import Base
from avatar_server.services.errors import ServiceError

_ATTEMPTS = Base.metadata.tables["login_attempts"]


class TooManyAttemptsError(ServiceError):
    """Over a sign-in limit; ``retry_after`` (whole seconds) goes to the ``Retry-After`` header."""

    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """The slots one attempt holds (row ids), returned by ``acquire`` and given to ``forgive``."""

    ids: tuple[int, ...]


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode("utf-8", "surrogatepass")).hexdigest()


class RateLimiter:
    """Sliding windows of recent attempts per subject and per client address, kept in the
    database under ``scope`` (each limiter forgets only its own attempts).

    ``clock`` gives seconds since the epoch: processes on several hosts share it.
    """

    scope = ""
    refusal = "too many attempts"
    # What the two keys' digests are salted with (the sign-in ones predate the scopes).
    subject_kind = "subject"
    address_kind = "address"

    def __init__(
        self,
        engine: Engine,
        per_subject: int,
        per_address: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.per_subject = per_subject
        self.per_address = per_address
        self.window = window_seconds
        self._clock = clock

    def acquire(self, subject: str, address: str) -> Attempt:
        """Take a slot for this attempt, or raise ``TooManyAttemptsError`` saying when to retry.

        Subjects are compared case-insensitively, so ``Admin`` and ``admin`` share a window.
        Checking and taking the slots is one transaction that holds the write lock from its
        first statement, so concurrent attempts, in any process, are counted one after another.
        """
        limits = [
            (_key(self.subject_kind, subject.strip().casefold()), self.per_subject),
            (_key(self.address_kind, address), self.per_address),
        ]
        limits = [(key, limit) for key, limit in limits if limit > 0]
        if not limits:
            return Attempt(())
        now = self._clock()
        with self.engine.begin() as db:
            self._lock(db)
            # Expired attempts of every key go first, so random subjects cannot pile up.
            db.execute(
                delete(_ATTEMPTS).where(
                    _ATTEMPTS.c.scope == self.scope, _ATTEMPTS.c.at <= now - self.window
                )
            )
            wait = max(self._wait(db, key, limit, now) for key, limit in limits)
            if wait > 0:
                # The message names no subject: people type passwords into the username field.
                raise TooManyAttemptsError(
                    f"{self.refusal}: try again in {math.ceil(wait)} seconds",
                    retry_after=max(1, math.ceil(wait)),
                )
            add = insert(_ATTEMPTS).returning(_ATTEMPTS.c.id)
            ids = tuple(
                int(db.execute(add, {"scope": self.scope, "key_hash": key, "at": now}).scalar_one())
                for key, _limit in limits
            )
        return Attempt(ids)

    def forgive(self, attempt: Attempt) -> None:
        """The attempt succeeded: give its slots back."""
        if attempt.ids:
            with self.engine.begin() as db:
                db.execute(delete(_ATTEMPTS).where(_ATTEMPTS.c.id.in_(attempt.ids)))

    def _wait(self, db: Connection, key: str, limit: int, now: float) -> float:
        """Seconds until ``key`` has a free slot (0: it has one now)."""
        times = list(
            db.scalars(
                select(_ATTEMPTS.c.at)
                .where(_ATTEMPTS.c.key_hash == key, _ATTEMPTS.c.at > now - self.window)
                .order_by(_ATTEMPTS.c.at)
            )
        )
        if len(times) < limit:
            return 0.0
        return float(times[len(times) - limit]) + self.window - now

    def _lock(self, db: Connection) -> None:
        """Serialize attempts. SQLite's first write takes the database's write lock (the delete
        that follows); PostgreSQL needs the table locked against concurrent inserts."""
        if db.dialect.name == "postgresql":
            db.exec_driver_sql("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE")


class LoginRateLimiter(RateLimiter):
    """Failed (or in-flight) sign-in attempts, per username and per client address."""

    scope = "sign-in"
    refusal = "too many failed sign-in attempts"
    subject_kind = "user"

    def __init__(
        self,
        engine: Engine,
        per_user: int,
        per_address: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(engine, per_user, per_address, window_seconds, clock)


class ResetRequestLimiter(RateLimiter):
    """Password reset requests, per email address and per client address. Every request
    counts, whether or not an account uses the address: the limit must not tell."""

    scope = "password-reset"
    refusal = "too many password reset requests"
    subject_kind = "reset-email"
    address_kind = "reset-address"
