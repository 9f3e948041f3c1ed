"""The storage janitor of a running server: every ``AVATAR_ORPHAN_SWEEP_SECONDS``, it erases
what no database row points to any more (``services.orphans``): uploads refused or cut short,
attempts of jobs that were lost, multipart uploads never completed. The server also sweeps once
at start-up; a server that runs for months needs the sweeps in between."""

from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from avatar_server.services.orphans import GRACE_S, clean_orphans
from avatar_server.settings import Settings
from avatar_server.storage import Storage

logger = logging.getLogger("avatar_server")


class Janitor:
    """Sweeps when its period has passed; called from an executor's watch loop."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._storage: Storage | None = None
        self._last = time.monotonic()  # the start-up sweep just ran

    def maybe_sweep(self) -> None:
        """Sweep if the period has passed. A sweep that fails is logged and tried again next
        period: it must not stop the loop that calls it (the executor's reaper)."""
        if time.monotonic() - self._last < self.settings.orphan_sweep_seconds:
            return
        self._last = time.monotonic()
        try:
            if self._storage is None:
                self._storage = Storage(self.settings.resolved_storage_url)
            with self.sessions() as db:
                erased = clean_orphans(db, self._storage, grace_s=GRACE_S)
        except Exception:
            logger.exception("storage sweep failed")
            return
        if erased:
            logger.info("erased %d orphan storage prefix(es)", len(erased))


__all__ = ["Janitor"]
