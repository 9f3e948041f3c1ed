"""Resource sets: the YAML documents of a run."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from avatar_server.api.bounded_route import RunYamlRoute
from avatar_server.api.deps import CurrentUser, DbDep, RuntimeDep
from avatar_server.api.errors import AUTHENTICATED, error_responses
from avatar_server.api.schemas import ResourceSetCreate, ResourceSetDetail, ResourceSetOut
from avatar_server.services import resources

router = APIRouter(
    prefix="/resources", tags=["resources"], responses=AUTHENTICATED, route_class=RunYamlRoute
)


@router.put("/{display_name}", status_code=201, responses=error_responses(400, 413, 422))
def put_resources(
    display_name: str, body: ResourceSetCreate, user: CurrentUser, db: DbDep, runtime: RuntimeDep
) -> ResourceSetOut:
    """Store a run's documents as a new set; each call makes a new ``set_name``.

    The documents are checked against your datasets first (tables, columns, parameters). The
    body is bounded (413 over ``AVATAR_MAX_RUN_YAML_BYTES``), and so are the YAML's documents
    and nodes (422 over ``AVATAR_MAX_RUN_YAML_DOCUMENTS`` or ``AVATAR_MAX_RUN_YAML_NODES``).
    """
    created = resources.create_set(
        db, user, display_name, body.yaml, runtime.settings, runtime.storage
    )
    return ResourceSetOut.model_validate(created)


@router.get("")
def list_resources(
    user: CurrentUser,
    db: DbDep,
    display_name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ResourceSetOut]:
    """Your sets, newest first."""
    found = resources.list_sets(db, user, display_name, limit)
    return [ResourceSetOut.model_validate(r) for r in found]


@router.get("/{set_name}", responses=error_responses(404))
def get_resources(set_name: uuid.UUID, user: CurrentUser, db: DbDep) -> ResourceSetDetail:
    return ResourceSetDetail.model_validate(resources.get_set(db, user, set_name))
