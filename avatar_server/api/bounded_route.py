"""Routes whose request body is bounded before it is read, and credentials checked before it.

FastAPI reads a route's whole body (JSON or form) before it resolves any dependency: 200 MiB
sent without credentials cost a gigabyte of memory before the 401 or 422. A
:class:`BoundedRoute` therefore, before handing the request to FastAPI,

1. answers 413 at once when the declared ``Content-Length`` is over the route's bound;
2. on an authenticated route, checks the ``Authorization`` header (401 before a byte of the
   body is read);
3. counts the bytes as they arrive, and answers 413 as soon as they pass the bound, whether or
   not a length was declared.

The bound is a setting read per request (the app's :class:`~avatar_server.runtime.Runtime`), so
it is not FastAPI's own ``max_body_size``, fixed when the route is declared, which also answers
in plain text. Routes that read their body themselves (the dataset upload streams it to storage
under ``AVATAR_MAX_UPLOAD_BYTES``) have no body for FastAPI to read, and pass through.
"""

from __future__ import annotations

from typing import Any, ClassVar

from anyio import to_thread
from fastapi import HTTPException
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from avatar_server.api.deps import get_credentials
from avatar_server.runtime import Runtime
from avatar_server.services.auth import principal_from_authorization


class BodyTooLargeError(HTTPException):
    """The body is over the route's bound. An ``HTTPException``: the one kind of error FastAPI
    lets out of its body reading as it is (any other becomes a 400)."""

    def __init__(self, limit: int, setting: str) -> None:
        super().__init__(
            status_code=413,
            detail=f"the request body is larger than {limit} bytes, the limit for this route "
            f"(AVATAR_{setting.upper()}): send less",
        )


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return any(
        dependency.call is call or _depends_on(dependency, call)
        for dependency in dependant.dependencies
    )


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _check_credentials(runtime: Runtime, header: str | None) -> None:
    """The route's own dependency checks them again with its session; this check is only the
    gate before the body (routes with a body are not the ones clients poll)."""
    with runtime.engine.connect() as db:
        principal_from_authorization(
            db, header, runtime.secret_key, runtime.settings.api_key_last_use_seconds
        )


class BoundedRoute(APIRoute):
    """An API route whose body is bounded by the setting ``limit_setting``."""

    limit_setting: ClassVar[str] = "max_request_body_bytes"

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.reads_body = self.body_field is not None
        self.authenticated = _depends_on(self.dependant, get_credentials)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.reads_body or scope["method"] not in (self.methods or ()):
            await super().handle(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state.runtime
        limit: int = getattr(runtime.settings, self.limit_setting)
        headers = Headers(scope=scope)
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            raise BodyTooLargeError(limit, self.limit_setting)
        if self.authenticated:
            await to_thread.run_sync(
                _check_credentials,
                runtime,
                headers.get("authorization"),
                limiter=runtime.read_threads,
            )
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit, self.limit_setting)
            return message

        await super().handle(scope, counted, send)


class RunYamlRoute(BoundedRoute):
    """``PUT /resources``: the run's YAML has a bound of its own."""

    limit_setting: ClassVar[str] = "max_run_yaml_bytes"
