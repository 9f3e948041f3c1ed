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
``AVATAR_BASE_API_URL``         the official client's way to give the server: its API
                                root, ending in ``/api`` (not with ``AVATAR_BASE_URL``)
=============================== =====================================================

``AVATAR_STORAGE_ENDPOINT_URL`` (official too) is refused when set: data travels through the
API here, so a value there would be ignored.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

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


def server_root(base_url: str) -> str:
    """The server root that ``base_url`` names; the one rule for every URL the client takes
    (``ApiClient``, ``Manager``, ``ClientConfig``, ``AVATAR_BASE_URL``, ``--base-url``).

    - the scheme is ``http://`` or ``https://`` and a host follows;
    - surrounding whitespace is ignored; quotes, inner whitespace, a query (``?``) or a
      fragment (``#``) are refused, since paths are appended to the URL;
    - trailing slashes are ignored, and so is one trailing ``/api``: the documentation shows
      ``https://host/api`` while the root is what a person usually copies, and the API is
      always under ``/api`` (``https://host/prefix/api`` behind a proxy gives
      ``https://host/prefix``).

    ``https://host/api/`` -> ``https://host``; a URL breaking a rule raises ValueError naming it.
    """
    text = base_url.strip()
    if '"' in text or "'" in text or any(c.isspace() for c in text):
        raise ValueError(f"base_url {base_url!r}: quotes and spaces are not allowed in a URL")
    if "?" in text or "#" in text:
        raise ValueError(f"base_url {base_url!r}: a query or fragment is not allowed")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"base_url {base_url!r}: expected an http:// or https:// URL")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError(f"base_url {base_url!r}: the port is not a number") from None
    if not parts.hostname:
        raise ValueError(f"base_url {base_url!r}: no host")
    path = parts.path.rstrip("/")
    if path.endswith("/api"):
        path = path[: -len("/api")].rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class ClientConfig:
    """How to reach a server. ``base_url`` is stored as the server root (see
    :func:`server_root` for the rules); :attr:`api_url` is the API root the HTTP client uses.

    ``base_url=None`` means "no server given": :class:`avatars.manager.Manager` then starts the
    embedded server.

    The official client's two other URL fields are read, not ignored: ``base_api_url`` (the
    API root, ending in ``/api``) is another way to give ``base_url`` and is stored as it
    (so the field reads None afterwards); ``storage_endpoint_url`` is refused, since data
    travels through the API here, not through a separate object store.
    """

    base_url: str | None = None
    api_key: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    should_verify_ssl: bool = True
    verify_compatibility: bool = True
    base_api_url: str | None = None
    storage_endpoint_url: str | None = None

    def __post_init__(self) -> None:
        if self.storage_endpoint_url is not None:
            raise ValueError(
                f"storage_endpoint_url={self.storage_endpoint_url!r}: this server has no "
                "separate storage endpoint, tables and results travel through its API; give "
                "base_url only"
            )
        if self.base_api_url is not None:
            if self.base_url is not None:
                raise ValueError(
                    "base_url and base_api_url both given: give one (the server root, or its "
                    "API root ending in /api)"
                )
            if not self.base_api_url.strip().rstrip("/").endswith("/api"):
                raise ValueError(
                    f"base_api_url {self.base_api_url!r}: the API root ends in /api (or give "
                    "the server root as base_url)"
                )
            object.__setattr__(self, "base_url", self.base_api_url)
            object.__setattr__(self, "base_api_url", None)
        if self.base_url is not None:
            object.__setattr__(self, "base_url", server_root(self.base_url))
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
        base_api_url = text("AVATAR_BASE_API_URL")
        storage = text("AVATAR_STORAGE_ENDPOINT_URL")
        if storage is not None:
            raise ValueError(
                f"AVATAR_STORAGE_ENDPOINT_URL={storage!r}: this client has no separate storage "
                "endpoint (tables and results travel through the API); unset it"
            )
        if base_url is not None and base_api_url is not None:
            raise ValueError(
                "AVATAR_BASE_URL and AVATAR_BASE_API_URL are both set: set one (the server "
                "root, or its API root ending in /api)"
            )
        if base_api_url is not None:
            if not base_api_url.rstrip("/").endswith("/api"):
                raise ValueError(
                    f"AVATAR_BASE_API_URL={base_api_url!r}: the API root ends in /api (or set "
                    "the server root as AVATAR_BASE_URL)"
                )
            base_url = base_api_url
        name = "AVATAR_BASE_API_URL" if base_api_url is not None else "AVATAR_BASE_URL"
        try:
            root = None if base_url is None else server_root(base_url)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
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
