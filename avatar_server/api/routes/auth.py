"""Sign-in, refresh and the password reset flow (no authentication needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.deps import DbDep, RuntimeDep
from avatar_server.api.errors import error_responses
from avatar_server.api.schemas import (
    ForgottenPasswordRequest,
    MessageResponse,
    RefreshRequest,
    ResetPasswordRequest,
    TokenResponse,
)
from avatar_server.services import auth
from avatar_server.services.rate_limit import LoginRateLimiter

router = APIRouter(tags=["auth"], route_class=BoundedRoute)


def _tokens(pair: auth.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
    )


async def get_login_limiter(request: Request, runtime: RuntimeDep) -> LoginRateLimiter:
    """The app's one sign-in limiter, made on first use. The dependency is async so it runs on
    the event loop: two first requests cannot race to make two limiters."""
    limiter: LoginRateLimiter | None = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        settings = runtime.settings
        limiter = LoginRateLimiter(
            runtime.engine,
            per_user=settings.login_attempts_per_minute_per_user,
            per_address=settings.login_attempts_per_minute_per_address,
            window_seconds=settings.login_attempts_window_seconds,
        )
        request.app.state.login_limiter = limiter
    return limiter


@router.post("/login", responses=error_responses(400, 401, 413, 429))
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DbDep,
    runtime: RuntimeDep,
    limiter: Annotated[LoginRateLimiter, Depends(get_login_limiter)],
) -> TokenResponse:
    """Exchange a username and password for an access token and a refresh token.

    Failed attempts are limited per username and per client address over a sliding window
    (``AVATAR_LOGIN_ATTEMPTS_*``); beyond it the answer is 429 with ``Retry-After``.
    """
    address = request.client.host if request.client is not None else "unknown"
    pair = auth.login(
        db,
        form.username,
        form.password,
        runtime.secret_key,
        runtime.settings,
        limiter=limiter,
        address=address,
    )
    return _tokens(pair)


@router.post("/refresh", responses=error_responses(400, 401, 413))
def refresh(body: RefreshRequest, db: DbDep, runtime: RuntimeDep) -> TokenResponse:
    """Exchange a refresh token for a new pair of tokens."""
    return _tokens(auth.refresh(db, body.refresh_token, runtime.secret_key, runtime.settings))


@router.post("/login/forgotten_password", responses=error_responses(400, 413))
def forgotten_password(
    body: ForgottenPasswordRequest, db: DbDep, runtime: RuntimeDep
) -> MessageResponse:
    """Send a reset token to the address if an account uses it; the answer never says."""
    auth.request_password_reset(db, body.email, runtime.mailer, runtime.settings)
    return MessageResponse(message="if an account uses this address, a reset token was sent to it")


@router.post("/login/reset_password", responses=error_responses(400, 413))
def reset_password(body: ResetPasswordRequest, db: DbDep, runtime: RuntimeDep) -> MessageResponse:
    """Set a new password with a reset token; every token issued before stops working."""
    auth.reset_password(
        db,
        email=body.email,
        token=body.token,
        new_password=body.new_password,
        new_password_repeated=body.new_password_repeated,
        settings=runtime.settings,
    )
    return MessageResponse(message="the password was changed")
