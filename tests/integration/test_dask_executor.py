"""Jobs on a Dask cluster (``AVATAR_DASK_ADDRESS``) with PostgreSQL and S3, for real: a
scheduler and two workers on loopback, a throwaway PostgreSQL, a SeaweedFS bucket.

The server's leases last 3 s and every job first computes 4 s without a progress call
(``AVATAR_TEST_HOOK_SILENT_STEP_SECONDS``, pushed to the workers with the other settings), so
a test can act while a job runs: kill the Dask worker running it, kill the API process, cancel.
"""

from __future__ import annotations

import hashlib
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from avatar_yaml import AvatarizationParameters, Config
from avatars import ApiClient
from tests.server import ServerProcess, free_port, wait_done, wait_for_status, wait_until
from tests.stack.dask_cluster import DaskCluster
from tests.stack.postgres import fresh_database
from tests.stack.seaweedfs import S3Server

pytestmark = pytest.mark.integration

PASSWORD = "admin-password-dask"
SECRET = "a-secret-key-shared-by-the-replicas-of-this-test"
LEASE_S = 3.0
SILENT_S = 4.0
BATCH_ROWS = 150  # the 400-row table in 3 batches, fanned out to the workers


@pytest.fixture(scope="module")
def cluster(dask: DaskCluster) -> DaskCluster:
    return dask


def stack_server(
    home: Path, database: str, s3: S3Server, cluster: DaskCluster, prefix: str
) -> ServerProcess:
    server = ServerProcess(
        home,
        admin_password=PASSWORD,
        secret_key=SECRET,
        database_url=database,
        storage_url=s3.storage_url(prefix),
        dask_address=cluster.address,
        job_lease_seconds=LEASE_S,
        job_max_attempts=3,
        test_hook_silent_step_seconds=SILENT_S,
        batch_rows=BATCH_ROWS,
    )
    server.env.update(s3.env())
    return server


@pytest.fixture(scope="module")
def database(postgres_url: str) -> str:
    """This module's own database, so that its admin and jobs are its own."""
    return fresh_database(postgres_url, "dask_executor")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    database: str,
    s3_server: S3Server,
    cluster: DaskCluster,
) -> Iterator[ServerProcess]:
    prefix = f"dask-executor-{uuid.uuid4().hex[:8]}"
    process = stack_server(
        tmp_path_factory.mktemp("api") / "home", database, s3_server, cluster, prefix
    )
    process.start()
    yield process
    process.stop()


def signed_in(server: ServerProcess) -> ApiClient:
    client = ApiClient(server.base_url)
    client.authenticate("admin", PASSWORD)
    return client


def small_table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=400), "c": rng.choice(list("abc"), 400)})


def put_set(client: ApiClient) -> str:
    dataset = client.datasets.upload_dataset(small_table(), name="small")
    config = Config.new("dask", seed=3)
    config.add_table("small", str(dataset.id))
    config.set_parameters("small", avatarization=AvatarizationParameters(k=5))
    return str(client.resources.put_resources("dask", config.to_yaml()).set_name)


@pytest.fixture(scope="module")
def set_name(server: ServerProcess) -> str:
    with signed_in(server) as client:
        return put_set(client)


def row_of(database: str, job: str) -> tuple[str, int]:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            worker, attempts = connection.execute(
                text("SELECT worker, attempts FROM jobs WHERE name = :name"), {"name": job}
            ).one()
    finally:
        engine.dispose()
    return str(worker or ""), int(attempts)


def avatars_digest(client: ApiClient, job: str) -> str:
    """A checksum of the job's released avatars (the same seed gives the same bytes)."""
    files = client.results.get_results(job).files
    (shuffled,) = [entry for entry in files if entry.kind == "shuffled"]
    return hashlib.sha256(client.results.read_bytes(job, shuffled.name)).hexdigest()


@pytest.fixture(scope="module")
def undisturbed(server: ServerProcess, set_name: str, database: str) -> str:
    """One avatarization run to its end on the cluster, the client gone while it runs: its
    checksum, which every disturbed run of the same set must give again."""
    with signed_in(server) as client:
        job = client.jobs.create_job(set_name, "standard").name
    with signed_in(server) as client:
        done = wait_done(client, job)
        assert str(done.status) == "done" and done.attempts == 1, done
        worker, _ = row_of(database, job)
        assert worker.startswith("dask:"), worker
        return avatars_digest(client, job)


def batch_tasks(cluster: DaskCluster) -> set[str]:
    """The batch tasks the scheduler ran lately (its transition log)."""
    from distributed import Client

    def keys(dask_scheduler: Any) -> list[str]:
        return [str(entry[0]) for entry in dask_scheduler.transition_log]

    with Client(cluster.address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        logged: list[str] = client.run_on_scheduler(keys)
    return {key for key in logged if key.startswith("avatar-batch-")}


def test_a_job_fans_its_batches_out_and_gives_the_local_executors_avatars(
    tmp_path: Path, undisturbed: str, cluster: DaskCluster
) -> None:
    """The job ran on the cluster in 3 batch tasks; a local server (SQLite, its own worker
    processes) avatarizing the same table with the same seed and batches gives the same
    bytes."""
    assert len({key.rsplit("-", 1)[1] for key in batch_tasks(cluster)}) >= 3
    local = ServerProcess(tmp_path / "local", admin_password=PASSWORD, batch_rows=BATCH_ROWS)
    local.start()
    try:
        with signed_in(local) as client:
            job = client.jobs.create_job(put_set(client), "standard").name
            done = wait_done(client, job)
            assert str(done.status) == "done", done
            assert avatars_digest(client, job) == undisturbed
    finally:
        local.stop()


def test_a_killed_dask_worker_loses_its_job_which_runs_again_alike(
    server: ServerProcess,
    set_name: str,
    database: str,
    cluster: DaskCluster,
    undisturbed: str,
) -> None:
    with signed_in(server) as client:
        job = client.jobs.create_job(set_name, "standard").name
        wait_for_status(client, job, "running")
        worker, _ = row_of(database, job)
        pid = int(worker.split(":")[2])  # dask:host:pid:random
        assert pid in cluster.worker_pids()
        os.kill(pid, signal.SIGKILL)
        done = wait_done(client, job, timeout=120)
        assert str(done.status) == "done" and done.attempts == 2, done
        assert row_of(database, job)[0] != worker
        assert avatars_digest(client, job) == undisturbed


def test_the_api_process_killed_mid_job_does_not_stop_it(
    server: ServerProcess, set_name: str, database: str, undisturbed: str
) -> None:
    with signed_in(server) as client:
        job = client.jobs.create_job(set_name, "standard").name
        wait_for_status(client, job, "running")
    server.stop(signal.SIGKILL)
    try:
        engine = create_engine(database)
        try:

            def finished() -> bool:
                with engine.connect() as connection:
                    status = connection.execute(
                        text("SELECT status FROM jobs WHERE name = :name"), {"name": job}
                    ).scalar_one()
                return str(status).lower() == "done"

            wait_until(finished, timeout=60, what="the job to finish with no API process")
        finally:
            engine.dispose()
    finally:
        server.start()
    with signed_in(server) as client:
        done = wait_done(client, job)
        assert done.attempts == 1, done
        assert avatars_digest(client, job) == undisturbed


def test_a_running_job_is_cancelled_on_its_worker(server: ServerProcess, set_name: str) -> None:
    with signed_in(server) as client:
        job = client.jobs.create_job(set_name, "standard").name
        wait_for_status(client, job, "running")
        client.jobs.cancel_job(job)
        cancelled = wait_for_status(client, job, "cancelled")
        assert "cancelled by the user" in cancelled.error, cancelled


def test_two_api_replicas_share_one_database_and_one_bucket(
    tmp_path: Path,
    server: ServerProcess,
    set_name: str,
    database: str,
    s3_server: S3Server,
    cluster: DaskCluster,
    undisturbed: str,
) -> None:
    prefix = server.env["AVATAR_STORAGE_URL"].split("/", 3)[3]
    replica = stack_server(tmp_path / "replica", database, s3_server, cluster, prefix)
    replica.start()
    try:
        with signed_in(replica) as other, signed_in(server) as client:
            job = other.jobs.create_job(set_name, "standard").name
            done = wait_done(client, job)
            assert str(done.status) == "done" and done.attempts == 1, done
            assert avatars_digest(client, job) == avatars_digest(other, job) == undisturbed
    finally:
        replica.stop()


def test_serve_stops_with_one_sentence_when_the_scheduler_does_not_answer(
    tmp_path: Path, database: str, s3_server: S3Server
) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    server = ServerProcess(
        tmp_path / "home",
        admin_password=PASSWORD,
        database_url=database,
        storage_url=s3_server.storage_url(f"no-scheduler-{uuid.uuid4().hex[:8]}"),
        dask_address=address,
        dask_connect_seconds=1,
    )
    server.env.update(s3_server.env())
    with pytest.raises(RuntimeError, match="server exited at start-up"):
        server.start()
    assert server.process is not None and server.process.wait() == 2
    log = server.log()
    assert f"not starting: cannot reach the Dask scheduler at {address} within 1 s" in log
    assert "AVATAR_DASK_ADDRESS" in log and "Traceback" not in log
