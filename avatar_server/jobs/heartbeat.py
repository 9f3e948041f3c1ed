"""A running job's lease, renewed from a thread of its own.

Progress calls renew the lease too, but an engine step may go a long while without one (a
projection of a wide table, a report's PDF). Renewed only from progress, the lease of a busy
worker would run out, the job would be re-queued while still running and, after a few
attempts, fail as "lost" although nothing died. The heartbeat renews it every third of the
lease whatever the job is doing: Python threads take turns on the interpreter even while the
main one computes, and numpy's heavy calls let go of it.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from avatar_server.jobs import state

logger = logging.getLogger("avatar_server.worker")


class Heartbeat:
    """``with Heartbeat(...):`` renews the job's lease until the block ends.

    It stops on its own when the worker no longer holds the job (:attr:`lost`); the job
    learns it at its next progress call, which raises :class:`state.LeaseLost`."""

    def __init__(
        self, sessions: sessionmaker[Session], job: str, worker: str, lease_seconds: float
    ) -> None:
        self.sessions = sessions
        self.job = job
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.interval = lease_seconds / 3
        self.beats = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.sessions() as db:
                    state.renew(db, self.job, self.worker, self.lease_seconds)
                self.beats += 1
            except state.LeaseLost:
                self.lost = True
                return
            except Exception:  # a database hiccup: the next beat tries again
                logger.exception("heartbeat of job %s failed", self.job)
