"""Sign-in, refresh and the password reset flow (no authentication needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

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
from avatar_server.services import auth, password_reset
from avatar_server.services.rate_limit import (
    LoginRateLimiter,
    RateLimiter,
    ResetRequestLimiter,
)

router = APIRouter(tags=["auth"], route_class=BoundedRoute)

LimiterT = TypeVar("LimiterT", bound=RateLimiter)


def _tokens(pair: auth.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
    )


def _app_limiter(request: Request, attribute: str, make: Callable[[], LimiterT]) -> LimiterT:
    """The app's one limiter kept under ``attribute``, made on first use. Called from async
    dependencies, so on the event loop: two first requests cannot race to make two."""
    limiter: LimiterT | None = getattr(request.app.state, attribute, None)
    if limiter is None:
        limiter = make()
        setattr(request.app.state, attribute, limiter)
    return limiter


async def get_login_limiter(request: Request, runtime: RuntimeDep) -> LoginRateLimiter:
    """The app's one sign-in limiter."""
    settings = runtime.settings
    return _app_limiter(
        request,
        "login_limiter",
        lambda: LoginRateLimiter(
            runtime.engine,
            per_user=settings.login_attempts_per_minute_per_user,
            per_address=settings.login_attempts_per_minute_per_address,
            window_seconds=settings.login_attempts_window_seconds,
        ),
    )


async def get_reset_limiter(request: Request, runtime: RuntimeDep) -> ResetRequestLimiter:
    """The app's one password reset request limiter."""
    settings = runtime.settings
    return _app_limiter(
        request,
        "reset_limiter",
        lambda: ResetRequestLimiter(
            runtime.engine,
            per_subject=settings.password_reset_requests_per_email,
            per_address=settings.password_reset_requests_per_address,
            window_seconds=settings.password_reset_window_seconds,
        ),
    )


def _client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


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
    address = _client_address(request)
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
    """Exchange a refresh token for a new pair of tokens. A refresh token works once: keep the
    new one. Presenting a used one again revokes every refresh token of its sign-in (401)."""
    return _tokens(auth.refresh(db, body.refresh_token, runtime.secret_key, runtime.settings))


@router.post("/login/forgotten_password", responses=error_responses(400, 413, 429))
def forgotten_password(
    request: Request,
    body: ForgottenPasswordRequest,
    db: DbDep,
    limiter: Annotated[ResetRequestLimiter, Depends(get_reset_limiter)],
) -> MessageResponse:
    """Mail a reset token to the address if an account uses it; the answer never says.

    The request is queued and the mail sent in the background, so the answer takes the same
    time for every address. Requests are limited per address and per client over a sliding
    window (``AVATAR_PASSWORD_RESET_*``); beyond it the answer is 429 with ``Retry-After``.
    """
    password_reset.queue_request(db, body.email, limiter, _client_address(request))
    return MessageResponse(message=password_reset.REQUESTED)


@router.post("/login/reset_password", responses=error_responses(400, 413))
def reset_password(body: ResetPasswordRequest, db: DbDep, runtime: RuntimeDep) -> MessageResponse:
    """Set a new password with a reset token. Every session ends, every API key of the account
    is revoked, and every other reset token of the account stops working."""
    password_reset.reset_password(
        db,
        email=body.email,
        token=body.token,
        new_password=body.new_password,
        new_password_repeated=body.new_password_repeated,
        settings=runtime.settings,
    )
    return MessageResponse(message=password_reset.RESET_DONE)
