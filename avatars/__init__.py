"""avatars: anonymize tabular personal data into avatars, from Python.

``ApiClient`` talks to an avatars server; errors are in :mod:`avatars.errors`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from avatars.client import ApiClient
from avatars.client_config import ClientConfig
from avatars.errors import (
    ApiConnectionError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    AvatarError,
    ConflictError,
    JobFailedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from avatars.manager import Manager
from avatars.retry import RetryPolicy
from avatars.runner import Runner

try:
    __version__ = version("open-avatars")
except PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0.0.0"

__all__ = [
    "ApiClient",
    "ApiConnectionError",
    "ApiStatusError",
    "ApiTimeoutError",
    "AuthenticationError",
    "AvatarError",
    "ClientConfig",
    "ConflictError",
    "JobFailedError",
    "Manager",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "Runner",
    "ServerError",
    "ValidationError",
    "__version__",
]
