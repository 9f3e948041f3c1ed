"""The one error a misconfigured server stops with."""

from __future__ import annotations


class StartupError(RuntimeError):
    """A setting the server cannot start with, said plainly."""
