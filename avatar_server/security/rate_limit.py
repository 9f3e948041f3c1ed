"""Sign-in rate limiting: a sliding window per username and per client address.

Passwords are the one credential a person chooses, so they are the one worth guessing; this
caps the guesses. Each ``/api/login`` attempt takes a slot in two windows, the username's and
the client address's, *before* the password is checked (so concurrent attempts cannot slip
past the count), and a successful sign-in gives its slots back: only failed attempts count, so
a person signing in often is never locked out by their own successes, while a guesser gets
``per_user`` tries per window on one account and ``per_address`` tries per window overall (a
sweep across many usernames from one machine). Refused attempts take no slot, so the window
drains on time even while a guesser keeps knocking; ``Retry-After`` says when a slot frees.

The state lives in this process's memory: right for the single server process ``avatars
serve`` runs (uvicorn with one worker). Several processes or hosts behind a load balancer each
count alone, multiplying the limits; they would need a shared store (Redis, the database).
Behind a reverse proxy, the client address is the proxy's unless uvicorn trusts its
``X-Forwarded-For`` (``--forwarded-allow-ips``), which then makes the per-address limit apply
to the real clients.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from avatar_server.services.errors import ServiceError


class TooManyAttemptsError(ServiceError):
    """Over a sign-in limit; ``retry_after`` (whole seconds) goes to the ``Retry-After`` header."""

    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """The two slots one attempt holds, returned by ``acquire`` and given to ``forgive``."""

    user_key: str
    address_key: str
    at: float


class LoginRateLimiter:
    """Thread-safe sliding windows of recent failed (or in-flight) sign-in attempts."""

    def __init__(
        self,
        per_user: int,
        per_address: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._users: dict[str, deque[float]] = {}
        self._addresses: dict[str, deque[float]] = {}
        self._last_sweep = clock()

    def acquire(self, username: str, address: str) -> Attempt:
        """Take a slot for this attempt, or raise ``TooManyAttemptsError`` saying when to retry.

        Usernames are compared case-insensitively, so ``Admin`` and ``admin`` share a window.
        """
        user_key = username.strip().casefold()
        now = self._clock()
        with self._lock:
            self._sweep(now)
            waits = [
                self._wait(self._users, user_key, self.per_user, now),
                self._wait(self._addresses, address, self.per_address, now),
            ]
            if max(waits) > 0:
                # The message names no username: people type passwords into that field.
                raise TooManyAttemptsError(
                    "too many failed sign-in attempts: try again in "
                    f"{math.ceil(max(waits))} seconds",
                    retry_after=max(1, math.ceil(max(waits))),
                )
            self._users.setdefault(user_key, deque()).append(now)
            self._addresses.setdefault(address, deque()).append(now)
        return Attempt(user_key, address, now)

    def forgive(self, attempt: Attempt) -> None:
        """The attempt succeeded: give its slots back."""
        with self._lock:
            for windows, key in (
                (self._users, attempt.user_key),
                (self._addresses, attempt.address_key),
            ):
                times = windows.get(key)
                if times is None:
                    continue
                with contextlib.suppress(ValueError):  # already out of the window
                    times.remove(attempt.at)
                if not times:
                    del windows[key]

    def _wait(self, windows: dict[str, deque[float]], key: str, limit: int, now: float) -> float:
        """Seconds until ``key`` has a free slot (0: it has one now). A limit of 0 is no limit."""
        times = windows.get(key)
        if limit <= 0 or times is None:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < limit:
            return 0.0
        return times[len(times) - limit] + self.window - now

    def _sweep(self, now: float) -> None:
        """Drop expired entries of every key, once a window, so random usernames cannot pile up
        in memory (the per-address limit already caps how fast one client adds them)."""
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for windows in (self._users, self._addresses):
            for key in list(windows):
                times = windows[key]
                while times and times[0] <= now - self.window:
                    times.popleft()
                if not times:
                    del windows[key]
