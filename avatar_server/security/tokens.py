"""JWT access and refresh tokens (HS256)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import jwt

from avatar_server.db.types import utcnow

TokenType = Literal["access", "refresh"]
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    token_type: TokenType
    generation: int
    # ``jti``: the id a refresh token is recorded under, to be used once (services.auth).
    token_id: str


class InvalidTokenError(Exception):
    """The token is malformed, expired, of the wrong type or signed with another key."""


def new_token_id() -> str:
    return uuid.uuid4().hex


def issue_token(
    secret: str,
    user_id: uuid.UUID,
    generation: int,
    token_type: TokenType,
    lifetime_s: int,
    token_id: str | None = None,
) -> str:
    """A signed token; ``token_id`` is its ``jti`` (a new random one unless given)."""
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "typ": token_type,
        "gen": generation,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime_s),
        "jti": token_id or new_token_id(),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode_token(secret: str, token: str, expected_type: TokenType) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
        user_id = uuid.UUID(str(claims["sub"]))
        generation = int(claims.get("gen", 0))
        token_id = str(claims.get("jti", ""))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidTokenError(str(exc)) from exc
    if claims["typ"] != expected_type:
        raise InvalidTokenError(f"expected a {expected_type} token")
    return TokenClaims(
        user_id=user_id, token_type=expected_type, generation=generation, token_id=token_id
    )
