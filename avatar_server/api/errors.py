"""One mapping from failures to HTTP responses, and the error statuses documented per route."""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from avatar_server.api.schemas import ErrorResponse
from avatar_server.services.errors import ServiceError
from avatar_server.services.rate_limit import TooManyAttemptsError

logger = logging.getLogger("avatar_server")

_DESCRIPTIONS = {
    400: "Invalid input",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for this user",
    404: "Not found (or owned by another user)",
    409: "Conflict with the current state",
    413: "Too large",
    422: "Unusable input: the request does not match the schema (FastAPI's list of errors), "
    "or is well-formed but unusable (a message naming the culprit)",
    429: "Too many attempts: retry after the number of seconds in the Retry-After header",
    503: "Unavailable",
}

# A route that documents 422 itself replaces FastAPI's own 422 (HTTPValidationError, a list of
# errors), which request validation still answers: the body is one or the other. FastAPI adds
# the HTTPValidationError schema to the components as long as one route keeps its default 422.
# HTTPValidationError comes first: the generated client tries the union in order, and its
# ErrorResponse parser would accept a list of errors as ``detail`` without complaint.
_UNPROCESSABLE_BODY = {
    "application/json": {
        "schema": {
            "anyOf": [
                {"$ref": "#/components/schemas/HTTPValidationError"},
                {"$ref": "#/components/schemas/ErrorResponse"},
            ]
        }
    }
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these error statuses with the error body."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        if code == 422:
            responses[code] = {"description": _DESCRIPTIONS[code], "content": _UNPROCESSABLE_BODY}
        else:
            responses[code] = {"model": ErrorResponse, "description": _DESCRIPTIONS[code]}
        if code == 429:
            responses[code]["headers"] = _RETRY_AFTER
    return responses


AUTHENTICATED = error_responses(401)


def _json_safe(value: Any) -> Any:
    """``value`` with what JSON cannot carry made printable: infinite and NaN numbers become
    strings, lone surrogates become ``\\udxxx`` escapes."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    return value


# FastAPI's 422 echoes each rejected input whole: a 20 MiB token came back in a 20 MB answer,
# and a list of bad items gives one error each. Inputs are cut to an excerpt, errors to a few.
EXCERPT_CHARS = 80
MAX_ERRORS = 20


def _excerpt(value: Any) -> Any:
    """``value``, or the start of it (of its JSON text if not a string) saying how long it was."""
    if isinstance(value, str):
        text, unit = value, "characters"
    elif isinstance(value, dict | list):
        text, unit = json.dumps(value, default=str), "characters of JSON"
    else:
        return value
    if len(text) <= EXCERPT_CHARS:
        return value
    return f"{text[:EXCERPT_CHARS]}... (cut: {len(text)} {unit} in all)"


def _short_errors(errors: Sequence[Any]) -> list[Any]:
    shown = []
    for error in errors[:MAX_ERRORS]:
        error = dict(error)
        if "input" in error:
            error["input"] = _excerpt(error["input"])
        if isinstance(error.get("ctx"), dict):
            error["ctx"] = {key: _excerpt(item) for key, item in error["ctx"].items()}
        shown.append(error)
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        shown.append({"type": "too_many_errors", "loc": ["body"], "msg": f"{more} more not shown"})
    return shown


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's own 422 (the HTTPValidationError list), made short and safe to render: it
        echoes each rejected value (cut to an excerpt here), and ``1e999``, ``NaN`` or
        ``"\\ud800"`` (all accepted by the JSON parser) cannot be written back as JSON, which
        turned a 422 into a 500."""
        errors = _short_errors(exc.errors())
        return JSONResponse({"detail": _json_safe(jsonable_encoder(errors))}, status_code=422)

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if isinstance(exc, TooManyAttemptsError):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(
            {"detail": _json_safe(exc.detail)}, status_code=exc.status_code, headers=headers
        )

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
