"""The signed-in user, and user administration (administrators only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.deps import AdminUser, CurrentUser, DbDep, RuntimeDep
from avatar_server.api.errors import AUTHENTICATED, error_responses
from avatar_server.api.schemas import UserCreate, UserOut
from avatar_server.services import users

router = APIRouter(
    prefix="/users", tags=["users"], responses=AUTHENTICATED, route_class=BoundedRoute
)


@router.get("/me")
def get_me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("", responses=error_responses(403))
def list_users(_admin: AdminUser, db: DbDep) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in users.list_users(db)]


@router.post("", status_code=201, responses=error_responses(400, 403, 409, 413))
def create_user(body: UserCreate, _admin: AdminUser, db: DbDep, runtime: RuntimeDep) -> UserOut:
    user = users.create_user(
        db,
        username=body.username,
        email=body.email,
        password=body.password,
        is_admin=body.is_admin,
        min_password_length=runtime.settings.min_password_length,
    )
    db.commit()
    return UserOut.model_validate(user)


@router.get("/{user_id}", responses=error_responses(403, 404))
def get_user(user_id: uuid.UUID, _admin: AdminUser, db: DbDep) -> UserOut:
    return UserOut.model_validate(users.get_user(db, user_id))
