"""The local executor: job worker processes started with the server, and the reaper.

Workers are separate interpreters (``python -m avatar_server.processes.job_worker``, see
``avatar_server.processes.children``): they share nothing with the server but the database and
storage, and a user script embedding the server needs no ``__main__`` guard.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

from sqlalchemy.orm import Session, sessionmaker

from avatar_server.jobs import state
from avatar_server.processes.children import child_environment, replace_exited, stop_children
from avatar_server.settings import Settings

logger = logging.getLogger("avatar_server")

_STOP_WAIT_S = 10.0


class WorkerPool:
    """``settings.workers`` worker processes, kept alive, plus a reaper for lost jobs."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        single_machine = self.settings.resolved_database_url.startswith("sqlite")
        with self.sessions() as db:
            # A SQLite database is one machine's: at start, no worker of it is running.
            touched = state.reap(
                db, max_attempts=self.settings.job_max_attempts, every_running=single_machine
            )
        if touched:
            logger.info("re-queued or failed %d job(s) left running", len(touched))
        if self.settings.workers == 0:
            return
        environment = child_environment(self.settings)
        spawned = threading.Event()
        # Workers die with the thread that started them (PR_SET_PDEATHSIG follows the thread,
        # not the process), so they are started by this long-lived thread, never by a pooled
        # request thread that may exit when idle.
        self._thread = threading.Thread(
            target=self._watch, args=(environment, spawned), name="avatar-workers", daemon=True
        )
        self._thread.start()
        spawned.wait(timeout=_STOP_WAIT_S)

    def _spawn(self, environment: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "avatar_server.processes.job_worker"],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )

    def _watch(self, environment: dict[str, str], spawned: threading.Event) -> None:
        self.processes = [self._spawn(environment) for _ in range(self.settings.workers)]
        spawned.set()
        interval = max(0.5, min(5.0, self.settings.job_lease_seconds / 3))
        while not self._stop.wait(interval):
            try:
                with self.sessions() as db:
                    state.reap(db, max_attempts=self.settings.job_max_attempts)
            except Exception:
                logger.exception("reaper pass failed")
            replace_exited(self.processes, lambda: self._spawn(environment), "worker", self._stop)

    def stop(self) -> None:
        """Ask workers to hand back their jobs and exit; then end the watcher thread (whose
        end would kill any worker still alive)."""
        self._stop.set()
        stop_children(self.processes, _STOP_WAIT_S)
        self.processes = []
        if self._thread is not None:
            self._thread.join(timeout=_STOP_WAIT_S)
