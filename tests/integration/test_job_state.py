"""The job state machine under concurrency, on PostgreSQL (which runs transactions side by side)
and, where it applies, SQLite: claims never hand a job out twice nor wait on each other; a job
created or made ready while its dependencies end or go is never left waiting forever; one
reaper acts at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

from avatar_server.db.models import Job, JobStatus
from avatar_server.db.session import make_sessionmaker
from avatar_server.jobs import state
from avatar_server.services.jobs import create_job, delete_job
from avatar_server.storage import Storage
from tests.integration.in_child import claim_everything
from tests.integration.job_rows import Owner, add_job, job_of, migrated, new_owner
from tests.server import wait_until

pytestmark = pytest.mark.integration

WAIT_S = 30.0
LEASE_S = 60.0
CLAIMING_PROCESSES = 3
CLAIMING_THREADS = 3
JOBS = 60


def test_concurrent_claims_get_distinct_jobs(empty_database: str) -> None:
    with migrated(empty_database) as (_engine, sessions), sessions() as db:
        owner = new_owner(db)
        queued = [add_job(db, owner, age_seconds=JOBS - i) for i in range(JOBS)]
    # Forked: the children start at once, with no connection of the parent's (all closed).
    fork = get_context("fork")
    with ProcessPoolExecutor(CLAIMING_PROCESSES, mp_context=fork) as processes:
        parts = processes.map(
            claim_everything,
            [empty_database] * CLAIMING_PROCESSES,
            [CLAIMING_THREADS] * CLAIMING_PROCESSES,
        )
        claimed = [name for part in parts for name in part]
    assert len(claimed) == len(set(claimed)), "a job was handed out twice"
    assert set(claimed) == set(queued), "a job was never handed out"


def test_a_claim_skips_a_job_being_claimed_instead_of_waiting(empty_postgres_url: str) -> None:
    with migrated(empty_postgres_url) as (engine, sessions):
        with sessions() as db:
            owner = new_owner(db)
            oldest = add_job(db, owner, age_seconds=2)
            next_one = add_job(db, owner, age_seconds=1)
        # Waiting for a lock fails after 5 s instead of hanging the test.
        impatient = create_engine(
            empty_postgres_url, connect_args={"options": "-c lock_timeout=5s"}
        )
        try:
            with engine.connect() as elsewhere:  # another worker's claim, in progress
                elsewhere.execute(
                    text("SELECT 1 FROM jobs WHERE name = :n FOR UPDATE"), {"n": oldest}
                )
                with Session(impatient) as db:
                    job = state.claim(db, "impatient", LEASE_S)
                assert job is not None and job.name == next_one
        finally:
            impatient.dispose()
        assert (claimed := job_of(sessions, oldest)) is not None
        assert claimed.status == JobStatus.PENDING


# -- the reaper ------------------------------------------------------------------------------


def _expired_jobs(sessions: Callable[[], Session], count: int) -> list[str]:
    with sessions() as db:
        owner = new_owner(db)
        return [
            add_job(db, owner, status=JobStatus.RUNNING, worker=f"gone:{i}:x", lease_seconds=-60)
            for i in range(count)
        ]


def test_a_reaper_skips_its_pass_while_another_acts(empty_postgres_url: str) -> None:
    with migrated(empty_postgres_url) as (_engine, sessions):
        (lost,) = _expired_jobs(sessions, 1)
        with sessions() as acting:
            assert state.reaper_turn(acting)
            with sessions() as db:
                assert state.reap(db, max_attempts=3) == []
            assert (job := job_of(sessions, lost)) is not None and job.status == JobStatus.RUNNING
            acting.rollback()  # its pass is over
        with sessions() as db:
            assert state.reap(db, max_attempts=3) == [lost]
        assert (job := job_of(sessions, lost)) is not None and job.status == JobStatus.PENDING


def test_reapers_racing_handle_each_lost_job_once(empty_postgres_url: str) -> None:
    reapers = 4
    with migrated(empty_postgres_url) as (_engine, sessions):
        lost = _expired_jobs(sessions, 20)
        start = threading.Barrier(reapers)

        def reap() -> list[str]:
            with sessions() as db:
                start.wait(WAIT_S)
                return state.reap(db, max_attempts=3)

        with ThreadPoolExecutor(reapers) as threads:
            passes = [threads.submit(reap) for _ in range(reapers)]
            touched = [name for one in passes for name in one.result()]
        assert sorted(touched) == sorted(lost)
        with sessions() as db:
            assert {job.status for job in db.query(Job)} == {JobStatus.PENDING}


# -- dependencies ending while jobs are created or made ready --------------------------------


class CommitGate:
    """Holds the first commit of ``engine`` until opened: its transaction has done all its
    work and holds its locks, as if its process were slow to commit."""

    def __init__(self, engine: Engine) -> None:
        self.reached = threading.Event()
        self.opened = threading.Event()
        self._armed = True
        event.listen(engine, "commit", self._hold)

    def _hold(self, _connection: object) -> None:
        if self._armed:
            self._armed = False
            self.reached.set()
            self.opened.wait(WAIT_S)


def race(url: str, first: Callable[[Session], object], second: Callable[[Session], object]) -> None:
    """Run ``first`` up to its commit, then ``second`` until it waits for a lock (or ends if
    nothing makes it wait), then let both end. Each runs on its own connection."""
    engines = {
        role: create_engine(url, connect_args={"application_name": f"race-{role}"})
        for role in ("first", "second")
    }
    gate = CommitGate(engines["first"])
    errors: list[BaseException] = []

    def run(role: str, action: Callable[[Session], object]) -> threading.Thread:
        def target() -> None:
            try:
                with make_sessionmaker(engines[role])() as db:
                    action(db)
            except BaseException as exc:  # reported by the test's thread
                errors.append(exc)

        thread = threading.Thread(target=target, name=f"race-{role}")
        thread.start()
        return thread

    try:
        first_thread = run("first", first)
        assert gate.reached.wait(WAIT_S), "the first transaction never reached its commit"
        second_thread = run("second", second)
        wait_until(
            lambda: (
                _waits_for_a_lock(engines["first"], "race-second") or not second_thread.is_alive()
            ),
            WAIT_S,
            "the second transaction to wait for a lock or end",
        )
        gate.opened.set()
        first_thread.join(WAIT_S)
        second_thread.join(WAIT_S)
        if errors:
            raise errors[0]
    finally:
        gate.opened.set()
        for engine in engines.values():
            engine.dispose()


def _waits_for_a_lock(engine: Engine, application: str) -> bool:
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE application_name = :application AND wait_event_type = 'Lock'"
    )
    with engine.connect() as connection:
        return bool(connection.execute(query, {"application": application}).scalar_one())


def _running(db: Session, owner: Owner, worker: str) -> str:
    return add_job(db, owner, status=JobStatus.RUNNING, worker=worker, lease_seconds=LEASE_S)


def _finish(name: str, worker: str) -> Callable[[Session], object]:
    return lambda db: state.finish(db, name, worker, JobStatus.DONE, results=[])


def _create_waiting_on(
    owner: Owner, dependencies: list[str], created: list[str]
) -> Callable[[Session], object]:
    def create(db: Session) -> None:
        job = create_job(db, owner.user, owner.run.id, "privacy_metrics", dependencies)
        created.append(job.name)

    return create


@pytest.mark.parametrize("ends_first", [True, False], ids=["ending-first", "creation-first"])
def test_a_job_created_as_its_dependency_ends_does_not_wait_forever(
    empty_postgres_url: str, ends_first: bool
) -> None:
    with migrated(empty_postgres_url) as (_engine, sessions):
        with sessions() as db:
            owner = new_owner(db)
            dependency = _running(db, owner, "w1")
        created: list[str] = []
        ending, creation = (
            _finish(dependency, "w1"),
            _create_waiting_on(owner, [dependency], created),
        )
        race(empty_postgres_url, *((ending, creation) if ends_first else (creation, ending)))
        assert (job := job_of(sessions, created[0])) is not None
        assert (job.status, job.ready) == (JobStatus.PENDING, True)


@pytest.mark.parametrize("deleted_first", [True, False], ids=["deletion-first", "creation-first"])
def test_a_job_created_as_its_dependency_is_deleted_fails(
    empty_postgres_url: str, tmp_path: Path, deleted_first: bool
) -> None:
    storage = Storage(str(tmp_path / "storage"))
    with migrated(empty_postgres_url) as (_engine, sessions):
        with sessions() as db:
            owner = new_owner(db)
            dependency = add_job(db, owner, status=JobStatus.DONE)
        created: list[str] = []

        def deletion(db: Session) -> None:
            delete_job(db, storage, owner.user, dependency)

        creation = _create_waiting_on(owner, [dependency], created)
        race(
            empty_postgres_url,
            *((deletion, creation) if deleted_first else (creation, deletion)),
        )
        assert (job := job_of(sessions, created[0])) is not None
        assert job.status == JobStatus.FAILED
        assert job.error == f"dependency {dependency} (standard) was deleted"


def test_a_job_whose_two_dependencies_end_together_becomes_ready(
    empty_postgres_url: str,
) -> None:
    with migrated(empty_postgres_url) as (_engine, sessions):
        with sessions() as db:
            owner = new_owner(db)
            left, right = _running(db, owner, "w1"), _running(db, owner, "w2")
            waiting = add_job(db, owner, ready=False, depends_on=[left, right])
        race(empty_postgres_url, _finish(left, "w1"), _finish(right, "w2"))
        assert (job := job_of(sessions, waiting)) is not None
        assert (job.status, job.ready) == (JobStatus.PENDING, True)
