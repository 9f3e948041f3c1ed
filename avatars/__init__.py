"""avatars: anonymize tabular personal data into avatars, from Python.

``Manager`` is the entry point (it starts the embedded server when no URL is given) and makes
``Runner`` objects, one per run; ``ApiClient`` is the lower-level client under them. Errors are
in :mod:`avatars.errors`; ``PlotKind`` names what ``Runner.render_plot`` draws.
"""

from __future__ import annotations

from avatar_yaml import JobStatus, PiiType
from avatars.client import ApiClient
from avatars.client_config import ClientConfig
from avatars.display import JobList, ResultFiles, ResultSummaries
from avatars.errors import (
    ApiConnectionError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    AvatarError,
    ConflictError,
    JobFailedError,
    JobTimeoutError,
    NoServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from avatars.manager import Manager
from avatars.plots import PlotKind
from avatars.release import ReleaseCheck, verify_release
from avatars.retry import RetryPolicy
from avatars.runner import Runner
from avatars.version import client_version

__version__ = client_version()

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
    "JobList",
    "JobStatus",
    "JobTimeoutError",
    "Manager",
    "NoServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PiiType",
    "PlotKind",
    "RateLimitError",
    "ReleaseCheck",
    "ResultFiles",
    "ResultSummaries",
    "RetryPolicy",
    "Runner",
    "ServerError",
    "ValidationError",
    "__version__",
    "verify_release",
]
