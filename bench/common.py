"""What the benchmarks that run the embedded server share: a private home for it, the machine
line of a results table, and writing the table."""

from __future__ import annotations

import contextlib
import os
import platform
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def embedded_home(prefix: str) -> Iterator[float]:
    """A temporary ``AVATAR_HOME`` for ``Manager()``'s embedded server (no remote URL, no
    progress bars); yields the load average when it starts."""
    with tempfile.TemporaryDirectory(prefix=prefix) as home:
        os.environ["AVATAR_HOME"] = home
        os.environ.pop("AVATAR_BASE_URL", None)
        os.environ["AVATAR_PROGRESS"] = "0"
        yield os.getloadavg()[0]


def machine(load: float) -> str:
    return (
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; load average at start {load:.2f}."
    )


def write_results(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    print("\n".join(lines))
