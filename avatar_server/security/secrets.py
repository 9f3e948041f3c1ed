"""High-entropy random secrets that are stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "avk_"


def digest(secret: str) -> str:
    """SHA-256 hex digest: fast enough to check on every request, safe for 256-bit secrets."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_reset_token() -> str:
    return secrets.token_urlsafe(32)


def new_password(length: int = 24) -> str:
    """A random password of ``length`` URL-safe characters (6 bits each)."""
    return secrets.token_urlsafe(length)[:length]
