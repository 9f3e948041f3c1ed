"""The installed client's version, for ``avatars.__version__``, the ``User-Agent`` header (the
server decides compatibility from it) and the annotations of stored runs.

One helper so the three always agree, including in a source tree that was never installed.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "open-avatars"


def client_version() -> str:
    """The ``open-avatars`` distribution's version, or ``0.0.0`` when it is not installed (a
    source checkout put on ``PYTHONPATH``)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"
