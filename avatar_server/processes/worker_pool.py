"""The local executor: job worker processes started with the server, and the reaper.

Workers are separate interpreters (``python -m avatar_server.processes.job_worker``, see
``avatar_server.processes.children``): they share nothing with the server but the database and
storage, and a user script embedding the server needs no ``__main__`` guard.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading

from sqlalchemy.orm import Session, sessionmaker

from avatar_server.jobs import state
from avatar_server.processes.children import (
    child_environment,
    how_it_ended,
    replace_exited,
    stop_children,
)
from avatar_server.processes.janitor import Janitor
from avatar_server.settings import Settings

logger = logging.getLogger("avatar_server")

_STOP_WAIT_S = 10.0


def worker_prefix(pid: int) -> str:
    """The start of the names a worker process of this machine gives itself
    (``host:pid:random``, see ``avatar_server.processes.job_worker``)."""
    return f"{socket.gethostname()}:{pid}:"


class WorkerPool:
    """``settings.workers`` worker processes, kept alive, plus a reaper for lost jobs."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.janitor = Janitor(settings, sessions)

    def start(self) -> None:
        single_machine = self.settings.resolved_database_url.startswith("sqlite")
        attempts = self.settings.job_max_attempts
        with self.sessions() as db:
            # A SQLite database is one machine's: at start, no worker of it is running.
            if single_machine:
                touched = state.reap_all_running(db, max_attempts=attempts)
            else:
                touched = state.reap(db, max_attempts=attempts)
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
            # Exits first: a worker that died is reported with how it died, before its lease
            # runs out; the lease only judges workers this pool does not watch.
            replace_exited(
                self.processes,
                lambda: self._spawn(environment),
                "worker",
                self._stop,
                on_exit=self._release_jobs_of,
            )
            alive = [worker_prefix(p.pid) for p in self.processes if p.poll() is None]
            try:
                with self.sessions() as db:
                    state.reap(db, max_attempts=self.settings.job_max_attempts, alive=alive)
            except Exception:
                logger.exception("reaper pass failed")
            self.janitor.maybe_sweep()

    def _release_jobs_of(self, process: subprocess.Popen[bytes]) -> None:
        """The jobs of a worker that died: re-queued or failed, saying how it died."""
        try:
            with self.sessions() as db:
                state.reap_worker(
                    db,
                    worker_prefix(process.pid),
                    how_it_ended(process.returncode),
                    max_attempts=self.settings.job_max_attempts,
                )
        except Exception:
            logger.exception("could not release the jobs of worker %d", process.pid)

    def stop(self) -> None:
        """Ask workers to hand back their jobs and exit; then end the watcher thread (whose
        end would kill any worker still alive)."""
        self._stop.set()
        stop_children(self.processes, _STOP_WAIT_S)
        self.processes = []
        if self._thread is not None:
            self._thread.join(timeout=_STOP_WAIT_S)
