"""What a running job sees: its row, its run's configuration and data, and a progress hook
that renews the lease and carries cancellation."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from avatar_server.db.models import Dataset, Job, JobStatus, ResourceSet
from avatar_server.engine.progress import Cancelled
from avatar_server.jobs import state
from avatar_server.jobs.results import file_key
from avatar_server.jobs.tables import PreparedTable, prepare_table, read_frame
from avatar_server.settings import Settings
from avatar_server.storage import Storage
from avatar_yaml import Config, TableInfo

# Progress is written at most this often (and on every change of stage).
RENEW_EVERY_S = 0.25


class Interrupted(Exception):
    """The worker is stopping: the job goes back to the queue."""


class JobInputError(ValueError):
    """The run cannot be done as configured; the message is shown to the user."""


@dataclass(frozen=True)
class JobRef:
    """The fields of the job row a worker needs (a plain copy, safe across sessions)."""

    name: str
    user_id: uuid.UUID
    set_name: uuid.UUID
    kind: str
    parameters_name: str
    depends_on: tuple[str, ...]
    attempt: int

    @classmethod
    def of(cls, job: Job) -> JobRef:
        return cls(
            name=job.name,
            user_id=job.user_id,
            set_name=job.set_name,
            kind=job.kind,
            parameters_name=job.parameters_name,
            depends_on=tuple(job.depends_on or ()),
            attempt=job.attempts,
        )


@dataclass
class JobContext:
    sessions: sessionmaker[Session]
    storage: Storage
    settings: Settings
    job: JobRef
    worker: str
    stopping: Callable[[], bool] = lambda: False
    _stage: str = ""
    _renewed: float = field(default=0.0)

    def progress(self, stage: str, fraction: float) -> None:
        """Record progress; raise Cancelled when the user cancelled, Interrupted on shutdown."""
        if self.stopping():
            raise Interrupted(self.job.name)
        now = time.monotonic()
        if stage == self._stage and now - self._renewed < RENEW_EVERY_S:
            return
        self._stage, self._renewed = stage, now
        with self.sessions() as db:
            cancel = state.renew(
                db,
                self.job.name,
                self.worker,
                self.settings.job_lease_seconds,
                min(max(fraction, 0.0), 1.0),
                stage,
            )
        if cancel:
            raise Cancelled(self.job.name)

    def part(self, index: int, count: int, label: str) -> Callable[[str, float], None]:
        """A progress callback for step ``index`` of ``count`` (e.g. one table of several)."""

        def report(stage: str, fraction: float) -> None:
            self.progress(f"{label}: {stage}", (index + min(max(fraction, 0.0), 1.0)) / count)

        return report

    @cached_property
    def config(self) -> Config:
        with self.sessions() as db:
            resource = db.get(ResourceSet, self.job.set_name)
            if resource is None or resource.user_id != self.job.user_id:
                raise JobInputError("the job's resource set no longer exists")
            return Config.from_yaml(resource.yaml)

    def table(self, name: str) -> TableInfo:
        try:
            return self.config.table(name)
        except KeyError as error:
            raise JobInputError(error.args[0]) from None

    def dataset(self, name: str) -> Dataset:
        """The dataset of table ``name`` (detached: usable after its session)."""
        table = self.table(name)
        if table.data is None:
            raise JobInputError(f"table {name!r} has no dataset")
        return self.owned_dataset(table.data.dataset_id, f"table {name!r}: dataset")

    def avatars_dataset(self, name: str) -> Dataset:
        """The dataset of the avatars the user brings for table ``name``."""
        table = self.table(name)
        if table.avatars_data is None or table.avatars_data.dataset_id is None:
            raise JobInputError(f"table {name!r} brings no avatars")
        where = f"table {name!r}: avatars dataset"
        return self.owned_dataset(table.avatars_data.dataset_id, where)

    def owned_dataset(self, given: str, what: str) -> Dataset:
        """The job's user's dataset of id ``given`` (detached); ``what`` names it in errors."""
        try:
            dataset_id = uuid.UUID(given)
        except ValueError:
            raise JobInputError(f"{what} {given!r} is not a dataset id") from None
        with self.sessions() as db:
            dataset = db.get(Dataset, dataset_id)
            if dataset is None or dataset.user_id != self.job.user_id:
                raise JobInputError(f"{what} {dataset_id} no longer exists")
            db.expunge(dataset)
        return dataset

    def prepared(self, name: str) -> PreparedTable:
        dataset = self.dataset(name)
        parameters = self.config.parameters
        chosen = (parameters.avatarization or {}).get(name) if parameters else None
        return prepare_table(
            self.storage,
            dataset,
            self.table(name),
            chosen.k if chosen else None,
            max_decoded_bytes=self.settings.max_decoded_bytes,
        )

    def dependency(self, kind: str) -> Job:
        """The finished job of ``kind`` this job depends on (or the set's latest one)."""
        with self.sessions() as db:
            query = select(Job).where(
                Job.user_id == self.job.user_id, Job.kind == kind, Job.status == JobStatus.DONE
            )
            named = db.scalars(query.where(Job.name.in_(self.job.depends_on))).first()
            if named is None:
                named = db.scalars(
                    query.where(Job.set_name == self.job.set_name).order_by(Job.created_at.desc())
                ).first()
            if named is None:
                raise JobInputError(
                    f"a {self.job.kind} job needs a finished {kind} job of the same run "
                    "(give it in depends_on)"
                )
            db.expunge(named)
            return named

    def result_entries(self, job: Job, kind: str, table: str | None) -> list[dict[str, Any]]:
        return [e for e in job.results or [] if e["kind"] == kind and e["table"] == table]

    def _result_key(self, job: Job, kind: str, table: str | None) -> tuple[str, dict[str, Any]]:
        """Storage key and manifest entry of ``job``'s first ``kind`` file for ``table``."""
        entries = self.result_entries(job, kind, table)
        if not entries:
            raise JobInputError(f"job {job.name} has no {kind} result for table {table!r}")
        return file_key(job.user_id, job.name, entries[0]), entries[0]

    def read_result_table(self, job: Job, kind: str, table: str) -> pd.DataFrame:
        key, entry = self._result_key(job, kind, table)
        return read_frame(self.storage, key, entry["format"])

    def read_result_json(self, job: Job, kind: str, table: str | None) -> Any:
        key, _ = self._result_key(job, kind, table)
        with self.storage.open_read(key) as handle:
            return json.loads(handle.read())
