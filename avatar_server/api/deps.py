"""Dependencies shared by the routers: runtime, database session, signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from avatar_server.db.models import User
from avatar_server.runtime import Runtime
from avatar_server.services.auth import (
    Principal,
    principal_from_authorization,
    user_from_authorization,
)
from avatar_server.services.errors import ForbiddenError

# Documents the credential in the spec. The header is read whole below, because besides
# ``Bearer <token>`` it may carry ``api-key-v1 <key>``.
_bearer = HTTPBearer(
    auto_error=False,
    description="`Bearer <access token>` from /api/login, or `api-key-v1 <API key>`.",
)


# The dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in the
# thread pool, and each such hand-off costs every request time on the event loop.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_db(runtime: RuntimeDep) -> AsyncIterator[Session]:
    """A session for the request. Opening one does no I/O (it connects on first use); closing
    one still in a transaction rolls it back, which may, so that is done in a thread."""
    session = runtime.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


DbDep = Annotated[Session, Depends(get_db)]


@dataclass(frozen=True)
class Credentials:
    """The request's credential, not yet checked: routes clients poll check it in the same
    thread hand-off as their read (each hand-off costs the event loop time on every request)."""

    header: str | None
    secret: str
    key_use_seconds: float

    def user(self, db: Session) -> User:
        return user_from_authorization(db, self.header, self.secret, self.key_use_seconds)

    def principal(self, db: Connection) -> Principal:
        return principal_from_authorization(db, self.header, self.secret, self.key_use_seconds)


async def get_credentials(
    request: Request,
    runtime: RuntimeDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Credentials:
    return Credentials(
        request.headers.get("authorization"),
        runtime.secret_key,
        runtime.settings.api_key_last_use_seconds,
    )


CredentialsDep = Annotated[Credentials, Depends(get_credentials)]


def get_current_user(db: DbDep, credentials: CredentialsDep) -> User:
    user = credentials.user(db)
    # End the read at once: the request then holds no pooled connection while it waits for a
    # thread to run its handler. Holding one, requests queued for threads could take every
    # connection while every thread waits for one: the server deadlocked under load.
    db.commit()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise ForbiddenError("administrator rights are required")
    return user


AdminUser = Annotated[User, Depends(get_admin)]
