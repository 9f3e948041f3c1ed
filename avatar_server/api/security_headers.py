"""Response headers that tell browsers to treat the API's answers as data, never as pages.

The API answers JSON and files (CSV, HTML reports, PDF) that describe personal data: a browser
must not guess another content type (``nosniff``), frame them, send their address to another
site, or keep them in a shared cache. Only the documentation page (``/docs``) may run scripts,
and only the server's own files (no inline script, no other origin).

A pure ASGI middleware, not Starlette's ``BaseHTTPMiddleware``: that one buffers nothing but
runs each response through a task and a stream of its own, which slows down the downloads and
uploads this server streams.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avatar_server.api.docs import DOCS_PATH

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""Content-Security-Policy of every answer but the documentation page."""

DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
"""The documentation page: Swagger UI's scripts and styles from the server itself; it sets
style attributes on its elements (hence inline styles) and calls the API (``connect-src``)."""

_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def headers_for(path: str) -> list[tuple[bytes, bytes]]:
    """The security headers of an answer to ``path``."""
    if path == DOCS_PATH or path.startswith(f"{DOCS_PATH}/"):
        return [*_COMMON, (b"content-security-policy", DOCS_POLICY.encode())]
    return [
        *_COMMON,
        (b"content-security-policy", API_POLICY.encode()),
        (b"cache-control", b"no-store"),
    ]


class SecurityHeadersMiddleware:
    """Adds :func:`headers_for` to every HTTP response (a header the route set is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(str(scope.get("path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
