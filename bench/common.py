"""What the benchmarks that run the embedded server share: a private home for it, the machine
line of a results table, writing the table, and the ``--output`` / ``--worker`` command line of a
bench that runs its measurements in fresh processes of its own."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any


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


def job_workers(pid: int | None = None) -> list[int]:
    """The job worker processes the embedded server of process ``pid`` (default: this one)
    started: its children running ``avatar_server.processes.job_worker``."""
    parent = os.getpid() if pid is None else pid
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # the process ended while being read
        if ppid == parent and b"avatar_server.processes.job_worker" in command:
            found.append(int(entry.name))
    return sorted(found)


def peak_rss_mb(pid: int | None = None) -> float:
    """A process's high-water mark (VmHWM), in MiB (default: this process)."""
    status = Path(f"/proc/{'self' if pid is None else pid}/status")
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss(pid: int) -> bool:
    """Bring a process's VmHWM down to its current RSS (Linux ``clear_refs`` 5), so that the
    next reading is the peak of what it does from now on: the server's workers live from job
    to job, and their lifetime peak would otherwise mix runs. False when not permitted."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def median_time_and_traced_peak(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The median wall time of ``repeat`` calls of ``run``, then the peak of one more call's
    traced memory in MiB (numpy and pandas buffers; not Arrow's)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """``--output`` (the results file instead of the default one) and the hidden ``--worker
    KIND SPEC`` with which a bench runs one measurement in a fresh process of its own (see
    :func:`run_worker`): what every bench that spawns itself takes."""
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)


def run_worker(args: argparse.Namespace, workers: Mapping[str, Callable[[Any], Any]]) -> bool:
    """Under ``--worker KIND SPEC``: run ``workers[KIND]`` on the JSON ``SPEC`` and print its
    JSON result (the parent reads the last JSON line); True when it ran, so main returns."""
    if not args.worker:
        return False
    kind, spec = args.worker
    print(json.dumps(workers[kind](json.loads(spec))))
    return True
