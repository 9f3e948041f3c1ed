"""The lease never lies (issue 13): through a real server whose leases last 2 s and whose
jobs first compute 10 s without a progress call (``AVATAR_TEST_HOOK_SILENT_STEP_SECONDS``).

A busy worker keeps its job: its heartbeat renews the lease while progress stands still, so
the job finishes at its first attempt. A worker that really dies loses its job at once, and
the job says how it died (the signal), not only that its lease ran out.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from avatar_yaml import AvatarizationParameters, Config
from avatars import ApiClient
from tests.server import ServerProcess, wait_done, wait_for_status

pytestmark = pytest.mark.heavy  # leases expiring and renewed over many seconds: `make test-heavy`

PASSWORD = "admin-password-leases"
LEASE_S = 2.0
SILENT_S = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("leases") / "home",
        admin_password=PASSWORD,
        workers=1,
        job_lease_seconds=LEASE_S,
        job_max_attempts=1,
        test_hook_silent_step_seconds=SILENT_S,
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[ApiClient]:
    with ApiClient(server.base_url) as signed_in:
        signed_in.authenticate("admin", PASSWORD)
        yield signed_in


@pytest.fixture(scope="module")
def set_name(client: ApiClient) -> str:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(list("abc"), 300)})
    dataset = client.datasets.upload_dataset(frame, name="small")
    config = Config.new("leases", seed=1)
    config.add_table("small", str(dataset.id))
    config.set_parameters("small", avatarization=AvatarizationParameters(k=5))
    return str(client.resources.put_resources("leases", config.to_yaml()).set_name)


def lease_of(server: ServerProcess, job: str) -> tuple[datetime, str, float]:
    with sqlite3.connect(server.home / "avatars.db") as db:
        row = db.execute(
            "SELECT lease_expires_at, stage, progress FROM jobs WHERE name = ?", (job,)
        ).fetchone()
    return datetime.fromisoformat(str(row[0])), str(row[1]), float(row[2])


def worker_of(server: ServerProcess, job: str) -> int:
    with sqlite3.connect(server.home / "avatars.db") as db:
        (worker,) = db.execute("SELECT worker FROM jobs WHERE name = ?", (job,)).fetchone()
    return int(str(worker).split(":")[1])  # host:pid:random


def test_a_step_silent_for_five_leases_keeps_its_job(
    server: ServerProcess, client: ApiClient, set_name: str
) -> None:
    job = client.jobs.create_job(set_name, "standard")
    wait_for_status(client, job.name, "running")
    first = lease_of(server, job.name)
    started = time.monotonic()
    time.sleep(1.5 * LEASE_S)
    later = lease_of(server, job.name)
    assert time.monotonic() - started < SILENT_S - 2, "too slow to watch the silent step"
    # Progress stood still (the silent step), yet the lease moved on: the heartbeat renewed it.
    assert later[1:] == first[1:], (first, later)
    assert (later[0] - first[0]).total_seconds() >= LEASE_S
    done = wait_done(client, job.name)
    assert str(done.status) == "done" and done.attempts == 1, done


def test_a_killed_worker_loses_its_job_saying_how(
    server: ServerProcess, client: ApiClient, set_name: str
) -> None:
    job = client.jobs.create_job(set_name, "standard")
    wait_for_status(client, job.name, "running")
    os.kill(worker_of(server, job.name), signal.SIGKILL)
    failed = wait_for_status(client, job.name, "failed")
    assert failed.error.startswith("lost: its worker process was killed by SIGKILL"), failed.error
    assert "(attempt 1 of 1)" in failed.error
    # The pool started a new worker, which runs the next job to its end.
    again = client.jobs.create_job(set_name, "standard")
    finished = wait_done(client, again.name)
    assert str(finished.status) == "done" and finished.attempts == 1, finished
