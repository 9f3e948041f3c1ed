"""API keys of the signed-in user."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.deps import CurrentUser, DbDep
from avatar_server.api.errors import AUTHENTICATED, error_responses
from avatar_server.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from avatar_server.services import api_keys

router = APIRouter(
    prefix="/api-keys", tags=["api_keys"], responses=AUTHENTICATED, route_class=BoundedRoute
)


@router.post("", status_code=201, responses=error_responses(400, 413))
def create_api_key(body: ApiKeyCreate, user: CurrentUser, db: DbDep) -> ApiKeyCreated:
    """Create a key; its plaintext is in ``key`` in this response and nowhere else, ever."""
    row, key = api_keys.create_api_key(db, user, body.name, body.expiration_days)
    return ApiKeyCreated(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        key=key,
    )


@router.get("")
def list_api_keys(user: CurrentUser, db: DbDep) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(row) for row in api_keys.list_api_keys(db, user)]


@router.delete("/{key_id}", status_code=204, responses=error_responses(404))
def delete_api_key(key_id: uuid.UUID, user: CurrentUser, db: DbDep) -> Response:
    """Revoke a key: requests carrying it are refused from now on."""
    api_keys.delete_api_key(db, user, key_id)
    return Response(status_code=204)
