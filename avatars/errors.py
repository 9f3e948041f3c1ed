"""The one exception hierarchy of the client.

::

    AvatarError
    ├── ApiConnectionError            the server could not be reached
    │   ├── ApiTimeoutError           no answer within the timeout
    │   └── NoServerError             no avatars server answers at the base URL
    ├── ApiStatusError                the server answered with an error status
    │   ├── ValidationError           400 / 422: the request is invalid
    │   ├── AuthenticationError       401: missing, wrong or expired credentials
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404 (also another user's object)
    │   ├── ConflictError             409
    │   ├── PayloadTooLargeError      413
    │   ├── RateLimitError            429
    │   └── ServerError               5xx
    ├── JobFailedError                a job ended failed or cancelled
    └── JobTimeoutError               a job was not done within wait_for_job's timeout

``AuthenticationError`` is also raised client-side, before any request, when no credentials
are set.
"""

from __future__ import annotations

from avatar_yaml import job_words


class AvatarError(Exception):
    """Base class of every error raised by the client."""


class ApiConnectionError(AvatarError):
    """The server could not be reached (refused, DNS, TLS, connection reset...)."""


class ApiTimeoutError(ApiConnectionError):
    """The server did not answer within the client's timeout."""


class NoServerError(ApiConnectionError):
    """Something answered at the base URL, but not an avatars server: the API's routes are not
    there (HTTP 404 on a route every server has) or the answer is not the API's JSON. Usually
    a wrong path in the base URL; the message says which URL was tried and what it should look
    like. Not a :class:`NotFoundError`, which means an object of the API does not exist."""


class ApiStatusError(AvatarError):
    """The server answered with an error status; ``detail`` is its explanation."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        detail: str,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail
        self.request_id = request_id


class ValidationError(ApiStatusError):
    """The request was refused as invalid (400 or 422)."""


class AuthenticationError(ApiStatusError):
    """Missing, wrong or expired credentials (401)."""


class PermissionDeniedError(ApiStatusError):
    """Signed in, but not allowed to do this (403)."""


class NotFoundError(ApiStatusError):
    """No such object for this user (404)."""


class ConflictError(ApiStatusError):
    """The request conflicts with the current state (409)."""


class PayloadTooLargeError(ApiStatusError):
    """The request is over a server limit (413): an upload, a run's YAML, any body."""


class RateLimitError(ApiStatusError):
    """Too many requests (429), still refused after the client's retries."""


class ServerError(ApiStatusError):
    """The server failed (5xx); ``request_id`` helps its administrator find the log."""


def _job(job_name: str, kind: str, document: str) -> str:
    """``avatarization job <name>``: what the job does in the user's words (from its document,
    else its kind), then its name to look it up."""
    what = job_words(document or kind)
    return f"{what} job {job_name}" if what else f"job {job_name}"


class JobFailedError(AvatarError):
    """A job ended ``failed`` or ``cancelled``; the message carries the server's reason.

    ``job_name``, ``status``, ``kind`` and the server's ``error`` are attributes too, so a
    program can react to them without parsing text.
    """

    def __init__(
        self, job_name: str, status: str, error: str, kind: str = "", document: str = ""
    ) -> None:
        super().__init__(
            f"{_job(job_name, kind, document)} {status}: {error or 'the server gave no reason'}"
        )
        self.job_name = job_name
        self.status = status
        self.error = error
        self.kind = kind


class JobTimeoutError(AvatarError):
    """A job was not done when the ``timeout`` given to the wait ran out.

    Not an :class:`ApiTimeoutError`: the server answered every request, the job is just
    slower than the caller allowed, and it goes on running on the server. ``job_name``,
    ``status``, ``stage``, ``progress`` (0 to 1, as last seen), ``kind`` and ``waited``
    (seconds) are attributes too.
    """

    def __init__(
        self,
        job_name: str,
        *,
        status: str,
        stage: str,
        progress: float,
        waited: float,
        kind: str = "",
        document: str = "",
    ) -> None:
        what = _job(job_name, kind, document)
        where = f"{status}, stage {stage!r}" if stage else status
        super().__init__(
            f"{what} still not done after waiting {waited:.1f} s: last seen {where}, "
            f"{progress:.0%} done (the job is left as it is on the server: wait again, or "
            "cancel it)"
        )
        self.job_name = job_name
        self.status = status
        self.stage = stage
        self.progress = progress
        self.waited = waited
        self.kind = kind


_BY_STATUS: dict[int, type[ApiStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class_for(status_code: int) -> type[ApiStatusError]:
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, ApiStatusError)
