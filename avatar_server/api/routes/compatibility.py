"""Client compatibility: the client sends its version in the User-Agent header."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header

from avatar_server import __version__
from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.schemas import CompatibilityResponse

router = APIRouter(tags=["compatibility"], route_class=BoundedRoute)

# Clients older than this speak an API this server no longer serves.
MINIMUM_CLIENT = (0, 1, 0)
_AGENT = re.compile(r"avatars-python/(\d+)\.(\d+)\.(\d+)")


@router.get("/check_client")
def check_client(
    user_agent: Annotated[str | None, Header()] = None,
) -> CompatibilityResponse:
    """Whether the calling client (``avatars-python/X.Y.Z`` in User-Agent) works with this
    server. No authentication: a client checks before signing in."""
    found = _AGENT.search(user_agent or "")
    if found is None:
        return CompatibilityResponse(
            status="unknown",
            message="the client did not say its version (User-Agent avatars-python/X.Y.Z)",
            most_recent_compatible_client=__version__,
        )
    client = tuple(int(part) for part in found.groups())
    if client < MINIMUM_CLIENT:
        minimum = ".".join(map(str, MINIMUM_CLIENT))
        return CompatibilityResponse(
            status="incompatible",
            message=f"client {'.'.join(found.groups())} is too old: upgrade to {minimum} or newer",
            most_recent_compatible_client=__version__,
        )
    return CompatibilityResponse(
        status="compatible",
        message=f"client {'.'.join(found.groups())} works with server {__version__}",
        most_recent_compatible_client=__version__,
    )
