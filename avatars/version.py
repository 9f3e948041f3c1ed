"""The client's version, as installed: sent in the User-Agent and in the run's annotations."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def client_version() -> str:
    """The installed version of the ``open-avatars`` distribution (``0.0.0`` when run from a
    source tree that was never installed)."""
    try:
        return version("open-avatars")
    except PackageNotFoundError:
        return "0.0.0"
