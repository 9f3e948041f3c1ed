"""The storage janitor: erase the objects no database row points to.

Objects are written under a prefix of their own (``avatar_server.storage``) and become visible
only when the row pointing to them is committed. A crash, a lost connection or a failed commit
between the two leaves an orphan: never listed nor read, but stored (personal data, and paid for
on S3). :func:`clean_orphans` finds them by comparing one listing of the storage with the rows:

* ``datasets/<user>/<dataset>/...``: kept while a dataset row's ``storage_key`` lies under it
  (datasets stored by earlier versions are single objects, ``datasets/<user>/<id>.<format>``,
  kept while a row names them);
* ``results/<user>/<job>/<attempt>/...``: kept while the job is pending or running (its
  worker cleans its own earlier attempts), or when its committed manifest lists that attempt;
  ``figures/`` beside the attempts lives as long as the job;
* ``tmp/...``: what earlier versions left before moving an upload; never pointed to;
* a local write's hidden ``.partial`` file (a writer killed before its rename), anywhere.

A prefix whose newest object is younger than ``grace_s`` is left alone: its writer may be about
to commit its row. Other top-level prefixes are not this janitor's and are never touched.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from avatar_server.db.models import FINISHED_STATUSES, Dataset, Job
from avatar_server.jobs.figure_store import FOLDER as FIGURES
from avatar_server.storage import PARTIAL_SUFFIX, TEMPORARY_PREFIX, Storage

logger = logging.getLogger("avatar_server")

GRACE_S = 3600.0
"""How old an unreferenced prefix must be to be erased when other processes may be writing:
longer than any upload's validation or any job attempt's writing takes."""


@dataclass
class References:
    """What the database points to, read after the storage was listed."""

    dataset_units: set[str] = field(default_factory=set)
    """The prefix (see :func:`unit_of`) of every dataset row's ``storage_key``."""
    live_jobs: set[str] = field(default_factory=set)
    """``results/<user>/<job>`` of every job row."""
    unfinished_jobs: set[str] = field(default_factory=set)
    committed_attempts: set[str] = field(default_factory=set)
    """``results/<user>/<job>/<attempt>`` of every file a committed manifest lists."""

    @classmethod
    def read(cls, db: Session) -> References:
        keys = db.scalars(select(Dataset.storage_key))
        found = cls(dataset_units={unit_of(key) or key for key in keys})
        rows = db.execute(select(Job.user_id, Job.name, Job.status, Job.results))
        for user_id, name, status, results in rows:
            prefix = f"results/{user_id}/{name}"
            found.live_jobs.add(prefix)
            if status not in FINISHED_STATUSES:
                found.unfinished_jobs.add(prefix)
            for entry in results or []:
                found.committed_attempts.add(f"{prefix}/{entry['attempt']}")
        return found

    def result_unit_kept(self, unit: str) -> bool:
        job, _, sub = unit.rpartition("/")
        if job not in self.live_jobs:
            return False
        return sub == FIGURES or job in self.unfinished_jobs or unit in self.committed_attempts


def is_partial(key: str) -> bool:
    """A local write's hidden file, kept until its rename (see ``storage.ObjectWriter``)."""
    return key.endswith(PARTIAL_SUFFIX) and key.rsplit("/", 1)[-1].startswith(".")


def unit_of(key: str) -> str | None:
    """The prefix an object is erased with, or None when the janitor does not own it."""
    parts = key.split("/")
    if parts[0] == TEMPORARY_PREFIX and len(parts) >= 2:
        return "/".join(parts[:2])
    if parts[0] == "datasets" and len(parts) >= 3:
        return "/".join(parts[:3])
    if parts[0] == "results" and len(parts) >= 4:
        return "/".join(parts[:4])
    return None


def clean_orphans(db: Session, storage: Storage, grace_s: float = GRACE_S) -> list[str]:
    """Erase every orphan prefix older than ``grace_s`` seconds; the prefixes erased.

    The storage is listed before the rows are read: an object written after the listing is not
    considered, and one listed before its row was committed is seen with that row, or is
    younger than the grace period.
    """
    cutoff = time.time() - grace_s
    newest: dict[str, float] = defaultdict(float)
    partial: list[str] = []
    for top in ("datasets", "results", TEMPORARY_PREFIX):
        for key, modified in storage.objects(top).items():
            if is_partial(key) and modified < cutoff:
                partial.append(key)
            unit = unit_of(key)
            if unit is not None:
                newest[unit] = max(newest[unit], modified)
    references = References.read(db)
    db.rollback()  # a read only: end the transaction rather than hold it

    erased = []
    for unit, modified in sorted(newest.items()):
        if modified >= cutoff or _kept(unit, references):
            continue
        storage.delete_tree(unit)
        erased.append(unit)
    # Those in a kept prefix (an unfinished write of a live job's figure or attempt).
    partial = [key for key in partial if unit_of(key) not in erased]
    for key in partial:
        storage.delete(key)
    aborted = storage.abort_stale_multipart_uploads(grace_s)
    if erased or partial or aborted:
        logger.info(
            "storage janitor: erased %d orphan prefix(es), %d unfinished local write(s), "
            "aborted %d stale multipart upload(s)",
            len(erased),
            len(partial),
            aborted,
        )
    return erased + partial


def _kept(unit: str, references: References) -> bool:
    top = unit.split("/", 1)[0]
    if top == "datasets":
        return unit in references.dataset_units
    if top == "results":
        return references.result_unit_kept(unit)
    return False
