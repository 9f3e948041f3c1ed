"""One mapping from failures to HTTP responses, and the error statuses documented per route."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from avatar_server.api.schemas import ErrorResponse
from avatar_server.services.errors import ServiceError

logger = logging.getLogger("avatar_server")

_DESCRIPTIONS = {
    400: "Invalid input",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for this user",
    404: "Not found (or owned by another user)",
    409: "Conflict with the current state",
    413: "Too large",
    422: "Unusable input (the message names the culprit)",
    503: "Unavailable",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these error statuses with the error body."""
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in codes}


AUTHENTICATED = error_responses(401)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        logger.error(
            "unhandled error on %s %s (request id %s)",
            request.method,
            request.url.path,
            request_id,
            exc_info=exc,
        )
        return JSONResponse(
            {"detail": f"internal server error (request id {request_id})"},
            status_code=500,
            headers={"X-Request-ID": request_id},
        )
