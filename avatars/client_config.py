"""``ClientConfig``: where the client connects and how, from arguments or ``AVATAR_*`` variables.

A plain frozen dataclass rather than a settings library: the client must install with its few
dependencies (no pydantic), and the handful of variables below is easy to parse by hand with
errors that name the variable at fault.

=============================== =====================================================
``AVATAR_BASE_URL``             server root, with or without the trailing ``/api``
``AVATAR_API_KEY``              API key (instead of username/password sign-in)
``AVATAR_TIMEOUT``              seconds; ``none`` disables the timeout
``AVATAR_SHOULD_VERIFY_SSL``    verify TLS certificates (``true``/``false``)
``AVATAR_VERIFY_COMPATIBILITY`` ask the server whether it serves this client version
=============================== =====================================================
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TIMEOUT = 60.0

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_NO_TIMEOUT = frozenset({"none", "null", "off"})


def parse_bool(name: str, value: str) -> bool:
    """A boolean variable; anything but the usual spellings is refused rather than guessed,
    since e.g. ``AVATAR_SHOULD_VERIFY_SSL=flase`` silently meaning True would be dangerous."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}={value!r}: expected true or false (also 1/0, yes/no, on/off)")


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """One boolean variable, ``default`` when unset or empty."""
    env = os.environ if environ is None else environ
    value = env.get(name, "")
    return default if not value.strip() else parse_bool(name, value)


def _parse_timeout(name: str, value: str) -> float | None:
    text = value.strip().lower()
    if text in _NO_TIMEOUT:
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(
            f"{name}={value!r}: expected a number of seconds, or 'none' for no timeout"
        ) from None
    _check_timeout(seconds, name)
    return seconds


def _check_timeout(seconds: float | None, name: str) -> None:
    if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{name}: expected a positive number of seconds, got {seconds!r}")


def _server_root(url: str) -> str:
    """``https://host/api/`` and ``https://host`` both mean the server ``https://host``: the
    documentation shows the ``/api`` form, while the root is what a person usually copies."""
    root = url.strip().rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise ValueError(f"base_url {url!r}: expected an http:// or https:// URL")
    if '"' in root or any(c.isspace() for c in root):
        raise ValueError(f"base_url {url!r}: quotes and spaces are not allowed in a URL")
    if root.endswith("/api"):
        root = root[: -len("/api")]
    if root.count("/") < 2 or root.endswith("/"):
        raise ValueError(f"base_url {url!r}: no host")
    return root


@dataclass(frozen=True)
class ClientConfig:
    """How to reach a server. ``base_url`` is stored as the server root (a trailing ``/api``
    is accepted and removed); :attr:`api_url` is the API root the HTTP client uses.

    ``base_url=None`` means "no server given": :class:`avatars.manager.Manager` then starts the
    embedded server.
    """

    base_url: str | None = None
    api_key: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    should_verify_ssl: bool = True
    verify_compatibility: bool = True

    def __post_init__(self) -> None:
        if self.base_url is not None:
            object.__setattr__(self, "base_url", _server_root(self.base_url))
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("api_key: empty")
        _check_timeout(self.timeout, "timeout")

    @property
    def api_url(self) -> str | None:
        """The API root, always ending in ``/api``; None without a ``base_url``."""
        return None if self.base_url is None else f"{self.base_url}/api"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientConfig:
        """Read the ``AVATAR_*`` variables (``environ`` defaults to ``os.environ``); unset or
        empty variables keep the defaults. Raises ValueError naming a malformed variable."""
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        timeout_text = text("AVATAR_TIMEOUT")
        base_url = text("AVATAR_BASE_URL")
        try:
            root = None if base_url is None else _server_root(base_url)
        except ValueError as error:
            raise ValueError(f"AVATAR_BASE_URL: {error}") from None
        return cls(
            base_url=root,
            api_key=text("AVATAR_API_KEY"),
            timeout=(
                DEFAULT_TIMEOUT
                if timeout_text is None
                else _parse_timeout("AVATAR_TIMEOUT", timeout_text)
            ),
            should_verify_ssl=env_bool("AVATAR_SHOULD_VERIFY_SSL", True, env),
            verify_compatibility=env_bool("AVATAR_VERIFY_COMPATIBILITY", True, env),
        )
