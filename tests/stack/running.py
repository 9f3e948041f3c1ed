"""The whole team-server stack for a test session: PostgreSQL, a SeaweedFS bucket and a Dask
cluster, started in parallel (each takes one to two seconds) and stopped on the way out, even
when one of them failed to start."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.stack.dask_cluster import DaskCluster, dask_cluster
from tests.stack.postgres import fresh_database, postgres
from tests.stack.seaweedfs import S3Server, seaweedfs


@dataclass(frozen=True)
class Stack:
    database_url: str
    s3: S3Server
    cluster: DaskCluster

    def server_settings(self, name: str) -> dict[str, str]:
        """Settings for one server of the suite: a database and a storage prefix of its own
        (``name`` makes them recognisable), the cluster shared."""
        return {
            "database_url": fresh_database(self.database_url, name),
            "storage_url": self.s3.storage_url(f"{name}-{uuid.uuid4().hex[:8]}"),
            "dask_address": self.cluster.address,
        }

    def env(self) -> dict[str, str]:
        """What the server's environment needs besides its settings (the bucket's keys)."""
        return self.s3.env()


@contextlib.contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    starters: dict[str, Callable[[], AbstractContextManager[Any]]] = {
        "postgres": lambda: postgres(workdir / "postgres"),
        "seaweedfs": lambda: seaweedfs(workdir / "seaweedfs"),
        "dask": lambda: dask_cluster(workdir / "dask"),
    }
    for name in starters:
        (workdir / name).mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        started: dict[str, Any] = {}
        failed: dict[str, BaseException] = {}
        lock = threading.Lock()

        def start(name: str, factory: Callable[[], AbstractContextManager[Any]]) -> None:
            try:
                manager = factory()
                value = manager.__enter__()
            except BaseException as error:
                with lock:
                    failed[name] = error
                return
            with lock:
                cleanup.push(manager)
                started[name] = value

        threads = [
            threading.Thread(target=start, args=item, name=f"start-{item[0]}")
            for item in starters.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failed:
            reasons = "; ".join(f"{name}: {error}" for name, error in failed.items())
            raise RuntimeError(f"the test stack did not start: {reasons}")
        yield Stack(started["postgres"], started["seaweedfs"], started["dask"])


__all__ = ["Stack", "running_stack"]
