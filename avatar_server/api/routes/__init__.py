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
for module in (
    health,
    compatibility,
    auth,
    api_keys,
    users,
    datasets,
    resources,
    jobs,
    results,
):
    api_router.include_router(module.router)
