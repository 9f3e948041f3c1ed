"""Where a run's report jobs share the figures they draw (see
:mod:`avatar_server.report.images`).

The figures are kept beside the results of the signal-metrics job they are drawn from, in the
storage, under that job's own prefix: private to its user like the results, never listed as
results, and deleted with that job. A figure appears whole or not at all (see
:meth:`~avatar_server.storage.Storage.open_write`), so a job reading it while another writes it
gets the whole figure or none; two jobs writing it write the same bytes. The
store is a cache: a figure that cannot be read or written is drawn again, never an error.
"""

from __future__ import annotations

import logging
import re
import uuid

from avatar_server.jobs.results import job_prefix
from avatar_server.storage import Storage

logger = logging.getLogger("avatar_server.worker")

_KEY = re.compile(r"[0-9a-f]{64}")
FOLDER = "figures"
"""Under a job's prefix, beside its numbered attempts."""


class StoredFigures:
    """The figure cache of the run whose signal metrics are job ``job_name``."""

    def __init__(self, storage: Storage, user_id: uuid.UUID, job_name: str) -> None:
        self.storage = storage
        self.prefix = f"{job_prefix(user_id, job_name)}/{FOLDER}"

    def _key(self, key: str) -> str:
        if not _KEY.fullmatch(key):
            raise ValueError(f"a figure key is a SHA-256 digest, not {key!r}")
        return f"{self.prefix}/{key}.png"

    def get(self, key: str) -> bytes | None:
        path = self._key(key)
        try:
            with self.storage.open_read(path) as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            logger.warning("figure %s unreadable, drawn again: %s", path, error)
            return None

    def put(self, key: str, png: bytes) -> None:
        path = self._key(key)
        try:
            with self.storage.open_write(path) as handle:
                handle.write(png)
        except OSError as error:
            logger.warning("figure %s not kept: %s", path, error)
