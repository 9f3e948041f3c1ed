"""Job rows written straight into a migrated database, for tests of the job state machine
(``avatar_server.jobs.state``) under concurrency: no server, no engine, just the rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from avatar_server.db.models import Job, JobStatus, ResourceSet, User
from avatar_server.db.session import make_engine, make_sessionmaker, upgrade_database
from avatar_server.db.types import utcnow
from avatar_yaml import AvatarizationParameters, Config


@contextmanager
def migrated(url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """The database at ``url`` at the latest migration, with the server's engine settings."""
    engine = make_engine(url)
    try:
        upgrade_database(engine)
        yield engine, make_sessionmaker(engine)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Owner:
    """A user and one of their runs, which jobs are created against."""

    user: User
    run: ResourceSet


def new_owner(db: Session) -> Owner:
    name = f"u-{uuid.uuid4().hex[:8]}"
    user = User(username=name, email=f"{name}@example.org", password_hash="unused")
    db.add(user)
    db.flush()
    config = Config.new("run", seed=3)
    config.add_table("t", str(uuid.uuid4()))
    config.set_parameters("t", avatarization=AvatarizationParameters(k=5))
    run = ResourceSet(user_id=user.id, display_name="run", yaml=config.to_yaml())
    db.add(run)
    db.commit()
    return Owner(user, run)


def add_job(
    db: Session,
    owner: Owner,
    *,
    status: JobStatus = JobStatus.PENDING,
    ready: bool = True,
    depends_on: Iterable[str] = (),
    worker: str | None = None,
    lease_seconds: float | None = None,
    age_seconds: float = 0.0,
) -> str:
    """Insert a job (``age_seconds`` old: claims take the oldest first); its name."""
    now = utcnow()
    job = Job(
        name=uuid.uuid4().hex,
        user_id=owner.user.id,
        set_name=owner.run.id,
        display_name="run",
        parameters_name="standard",
        kind="standard",
        status=status,
        ready=ready,
        depends_on=list(depends_on),
        worker=worker,
        lease_expires_at=None if lease_seconds is None else now + timedelta(seconds=lease_seconds),
        created_at=now - timedelta(seconds=age_seconds),
    )
    db.add(job)
    db.commit()
    return job.name


def job_of(sessions: sessionmaker[Session], name: str) -> Job | None:
    """The job as committed now."""
    with sessions() as db:
        return db.get(Job, name)
