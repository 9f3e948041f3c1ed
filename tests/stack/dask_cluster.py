"""A Dask cluster on loopback for the integration suite: ``dask scheduler`` and two ``dask
worker`` processes (one thread each, as production runs them), started from this venv so the
workers import the same ``avatar_server``.

Each process gets its own session (process group), so a test can SIGKILL one worker and the
cleanup can kill everything, including the nannies' children, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.server import free_port

_READY_S = 60.0


@dataclass
class DaskCluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def worker_pids(self) -> list[int]:
        """Every process the ``dask worker`` commands started (the nannies' worker processes
        and their helpers): where a job's ``dask:host:pid:…`` worker name points."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    after_name = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry.name)] = int(after_name[1])
        found: list[int] = []
        frontier = [process.pid for process in self.workers]
        while frontier:
            children = [pid for pid, parent in parents.items() if parent in frontier]
            found += children
            frontier = children
        return found


def _dask(*arguments: str, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    executable = Path(sys.executable).with_name("dask")
    with log.open("ab") as output:
        return subprocess.Popen(
            [str(executable), *arguments],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@contextlib.contextmanager
def dask_cluster(
    workdir: Path, workers: int = 2, memory_limit: str = "4GiB"
) -> Iterator[DaskCluster]:
    """Start a scheduler and ``workers`` workers on free loopback ports; yield when all the
    workers have joined; kill every process on the way out, even after a failure.

    ``memory_limit`` is each worker's ``--memory-limit`` (Dask's size syntax, e.g. ``3GiB``):
    its nanny restarts a worker whose memory passes 95 % of it, so a job too big for a worker
    fails instead of taking the machine down."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVATAR_", "AWS_"))}
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = workdir / "dask.log"
    scheduler = _dask(
        "scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dashboard-address",
        "127.0.0.1:0",
        "--no-show",
        log=log,
        env=env,
    )
    cluster = DaskCluster(address, scheduler)
    try:
        for number in range(workers):
            cluster.workers.append(
                _dask(
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "1",
                    "--name",
                    f"w{number}",
                    "--memory-limit",
                    memory_limit,
                    "--local-directory",
                    str(workdir / f"w{number}"),
                    log=log,
                    env=env,
                )
            )
        _wait_for_workers(address, workers, log)
        yield cluster
    finally:
        for process in [*cluster.workers, scheduler]:
            _kill(process)


def _wait_for_workers(address: str, count: int, log: Path) -> None:
    from distributed import Client

    deadline = time.monotonic() + _READY_S
    while True:
        try:
            with Client(address, timeout=5, set_as_default=False) as client:  # type: ignore[no-untyped-call]
                client.wait_for_workers(count, timeout=max(1.0, deadline - time.monotonic()))
                return
        except (OSError, TimeoutError) as error:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Dask cluster at {address} did not come up: {error}\n"
                    + log.read_text(errors="replace")[-3000:]
                ) from None
            time.sleep(0.2)


__all__ = ["DaskCluster", "dask_cluster"]
