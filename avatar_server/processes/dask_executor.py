"""The Dask executor: jobs run on the workers of a Dask cluster (``AVATAR_DASK_ADDRESS``).

The job table stays the source of truth (scale-out.md §4): Dask keeps its state in memory and
cannot interrupt a running task, so it is only told *where* to run a job. A dispatcher thread in
the server hands every ready pending job to the cluster, fire-and-forget, as the task
``run_job(name)`` (``avatar_server.jobs.dask_task``), which claims the job's row and runs it with
the lease, heartbeat and cancel checks of a local worker. Each submission is keyed by the job and
its attempt, so handing the same attempt out again (the next pass, another API replica) is one
task, not two; and a task that cannot claim its job does nothing. A worker that dies takes its
lease with it: the reaper re-queues the job and the dispatcher hands it out again. A job submitted
but never claimed (a scheduler restarted and forgot it) is handed out again after a lease.
"""

from __future__ import annotations

import logging
import threading
import time
from importlib import metadata
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from avatar_server.jobs import state
from avatar_server.jobs.dask_task import ServerEnvironment, run_job
from avatar_server.processes.children import child_environment
from avatar_server.processes.janitor import Janitor
from avatar_server.settings import Settings
from avatar_server.startup_errors import StartupError

logger = logging.getLogger("avatar_server")

DISPATCH_BATCH = 200
"""Ready jobs handed out per pass at most (the rest on the next passes)."""
_FORWARDED_PREFIXES = ("AVATAR_", "AWS_")


def worker_environment(settings: Settings) -> dict[str, str]:
    """What a worker needs of the server's environment: its settings and the storage's
    credentials (the ``AWS_*`` variables s3fs reads)."""
    return {
        key: value
        for key, value in child_environment(settings).items()
        if key.startswith(_FORWARDED_PREFIXES) and key != "AVATAR_WORKER_PARENT_PID"
    }


def _package_version() -> str:
    try:
        return metadata.version("open-avatars")
    except metadata.PackageNotFoundError:
        return "unknown"


def _worker_package_version() -> str:
    """Run on each worker: the version of this package it would run jobs with."""
    return _package_version()


def connect(settings: Settings) -> Any:
    """A client of the scheduler at ``AVATAR_DASK_ADDRESS`` whose workers run this server's
    versions (see :func:`_check_versions`); ``StartupError`` when not."""
    from distributed import Client

    address = settings.dask_address
    try:
        client: Any = Client(  # type: ignore[no-untyped-call]
            address, timeout=settings.dask_connect_seconds, set_as_default=False
        )
    except (OSError, TimeoutError) as error:
        raise StartupError(
            f"cannot reach the Dask scheduler at {address} within "
            f"{settings.dask_connect_seconds:g} s ({error}): is `dask scheduler` running there, "
            "and is AVATAR_DASK_ADDRESS right?"
        ) from None
    try:
        _check_versions(client, str(address))
    except StartupError:
        client.close()
        raise
    return client


def _check_versions(client: Any, address: str) -> None:
    """Workers must run the same Dask and the same version of this package as the server: a
    task is a pickled reference to this package's code."""
    try:
        client.get_versions(check=True)
    except ValueError as error:
        raise StartupError(
            f"the Dask workers at {address} run other package versions than this server: {error}"
        ) from None
    ours = _package_version()
    theirs = client.run(_worker_package_version)
    skewed = {worker: version for worker, version in theirs.items() if version != ours}
    if skewed:
        listed = ", ".join(f"{worker} has {version}" for worker, version in skewed.items())
        raise StartupError(
            f"the Dask workers must run open-avatars {ours} like this server: {listed}; "
            "install the same version on every worker"
        )
    if not theirs:
        logger.warning(
            "the Dask scheduler at %s has no worker yet: jobs wait until one joins", address
        )


def check_cluster(settings: Settings) -> None:
    """Connect to the scheduler and compare the workers' versions, then let go."""
    connect(settings).close()


class DaskExecutor:
    """Hands the job table's ready jobs to a Dask cluster and reaps the lost ones."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        if settings.dask_address is None:
            raise ValueError("DaskExecutor needs AVATAR_DASK_ADDRESS")
        self.settings = settings
        self.sessions = sessions
        self.client: Any = None
        self._handed: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.janitor = Janitor(settings, sessions)

    def start(self) -> None:
        self.client = connect(self.settings)
        self.client.register_plugin(
            ServerEnvironment(worker_environment(self.settings)), name=ServerEnvironment.name
        )
        self._thread = threading.Thread(target=self._dispatch, name="avatar-dask", daemon=True)
        self._thread.start()

    def _dispatch(self) -> None:
        interval = self.settings.job_poll_seconds
        reap_every = max(0.5, min(5.0, self.settings.job_lease_seconds / 3))
        last_reap = 0.0
        while not self._stop.wait(interval):
            try:
                if time.monotonic() - last_reap >= reap_every:
                    last_reap = time.monotonic()
                    with self.sessions() as db:
                        state.reap(db, max_attempts=self.settings.job_max_attempts)
                self._hand_out()
            except Exception:
                logger.exception("Dask dispatch pass failed")
            self.janitor.maybe_sweep()

    def _hand_out(self) -> None:
        from distributed import fire_and_forget

        with self.sessions() as db:
            ready = state.ready_pending(db, DISPATCH_BATCH)
        now = time.monotonic()
        wanted = set()
        for name, attempts in ready:
            key = f"avatar-job-{name}-a{attempts}"
            wanted.add(key)
            handed = self._handed.get(key)
            # Still pending a lease after it was handed out: the task was lost before it
            # could claim (a scheduler restart); the same key is one task if it was not.
            if handed is not None and now - handed < self.settings.job_lease_seconds:
                continue
            future = self.client.submit(run_job, name, key=key, pure=False)
            fire_and_forget(future)  # type: ignore[no-untyped-call]
            self._handed[key] = now
        self._handed = {key: at for key, at in self._handed.items() if key in wanted}

    def stop(self) -> None:
        """Stop handing out jobs; running ones go on on the workers (their leases keep them)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        if self.client is not None:
            self.client.close()
            self.client = None
