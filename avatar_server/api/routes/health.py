"""Liveness and database checks (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from avatar_server import __version__
from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.deps import DbDep
from avatar_server.api.errors import error_responses
from avatar_server.api.schemas import DatabaseHealthResponse, HealthResponse
from avatar_server.services.errors import ServiceError

router = APIRouter(tags=["health"], route_class=BoundedRoute)


class DatabaseUnavailableError(ServiceError):
    status_code = 503


@router.get("/health")
def get_health() -> HealthResponse:
    return HealthResponse(status="ok", version=__version__)


@router.get("/health/db", responses=error_responses(503))
def get_health_db(db: DbDep) -> DatabaseHealthResponse:
    """Whether the database answers (503 if not). Public, for monitoring, so it says nothing
    about the database (not even its kind): an operator knows it, a stranger need not."""
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailableError("the database does not answer") from exc
    return DatabaseHealthResponse(status="ok")
