"""One router per area; ``api_router`` gathers them under ``/api``."""

from __future__ import annotations

from fastapi import APIRouter

from avatar_server.api.routes import (
    api_keys,
    auth,
    compatibility,
    datasets,
    health,
    jobs,
    resources,
    results,
    users,
)

api_router = APIRouter(prefix="/api")
# Routes are matched in order: the ones clients poll come first.
for module in (
    jobs,
    health,
    compatibility,
    auth,
    api_keys,
    users,
    datasets,
    resources,
    results,
):
    api_router.include_router(module.router)
