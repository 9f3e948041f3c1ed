"""A server of several HTTP processes (``AVATAR_API_PROCESSES``): what it shares, how it ends.

The processes share the port, the database (sessions, jobs, sign-in limits) and the job
workers of their supervisor; one that dies is replaced; all of them die with the supervisor.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from avatars import ApiClient, Manager
from tests.server import ServerProcess, processes_of_home, wait_until

pytestmark = pytest.mark.heavy  # multi-process servers started and stopped: `make test-heavy`

ADMIN_PASSWORD = "multi-admin-password"
PER_USER = 3
HTTP = "avatar_server.processes.http_process"
WORKER = "avatar_server.processes.job_worker"


def children(server: ServerProcess, module: str) -> list[int]:
    """The server's own live children running ``module``."""
    assert server.process is not None
    pid = server.process.pid
    return [
        child for child, parent in processes_of_home(server.home, module).items() if parent == pid
    ]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path / "home",
        admin_password=ADMIN_PASSWORD,
        api_processes=2,
        workers=1,
        login_attempts_per_minute_per_user=PER_USER,
    )
    server.start()
    wait_until(lambda: len(children(server, HTTP)) == 2, what="two HTTP processes")
    yield server
    server.stop()


def test_serves_jobs_and_shares_state_across_processes(server: ServerProcess) -> None:
    assert len(children(server, WORKER)) == 1
    with ApiClient(server.base_url) as admin:
        admin.authenticate("admin", ADMIN_PASSWORD)
        name, password = f"mp-{uuid.uuid4().hex[:8]}", "mp-password-123"
        admin.users.create_user(name, f"{name}@example.org", password)

    # A whole run, each request on a connection of its own (so on either process).
    manager = Manager(base_url=server.base_url)
    manager.authenticate(name, password)
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        {"age": rng.integers(18, 90, 300), "group": rng.choice(["a", "b", "c"], 300)}
    )
    runner = manager.create_runner("multi")
    runner.add_table("people", table)
    runner.set_parameters("people", k=5)
    runner.run(jobs_to_run=["standard"])
    assert runner.shuffled("people").shape == table.shape
    manager.auth_client.close()

    # Sign-in limits count attempts made on any process: new connections each time.
    answers = [
        httpx.post(f"{server.base_url}/login", data={"username": name, "password": "wrong"})
        for _ in range(PER_USER + 3)
    ]
    assert [a.status_code for a in answers] == [401] * PER_USER + [429] * 3
    assert all(a.headers.get("retry-after") for a in answers[PER_USER:])


def test_a_dead_http_process_is_replaced(server: ServerProcess) -> None:
    victim, survivor = children(server, HTTP)
    signal_time = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    # The other process answers meanwhile; then a new one takes the victim's place.
    for _ in range(20):
        assert httpx.get(f"{server.base_url}/health").status_code == 200
    wait_until(
        lambda: len(children(server, HTTP)) == 2 and victim not in children(server, HTTP),
        what="a replacement HTTP process",
    )
    assert survivor in children(server, HTTP)
    assert time.monotonic() - signal_time < 30
    assert f"{victim} was killed by SIGKILL" in server.log()
    assert "restarting it" in server.log()


def test_children_end_with_the_supervisor(server: ServerProcess) -> None:
    """Stopped, the supervisor stops every child; killed, its children die with it."""
    assert server.process is not None
    server.stop(signal.SIGTERM)
    assert not processes_of_home(server.home, HTTP)
    assert not processes_of_home(server.home, WORKER)

    server.start()
    wait_until(lambda: len(children(server, HTTP)) == 2, what="two HTTP processes after restart")
    before = set(processes_of_home(server.home, HTTP)) | set(processes_of_home(server.home, WORKER))
    assert len(before) == 3
    with ApiClient(server.base_url) as admin:
        admin.authenticate("admin", ADMIN_PASSWORD)
        admin.users.create_user("kept", "kept@example.org", "kept-password-1")
    server.stop(signal.SIGKILL)
    wait_until(
        lambda: (
            not processes_of_home(server.home, HTTP) and not processes_of_home(server.home, WORKER)
        ),
        what="the children of a killed supervisor to exit",
    )
    # The port and the data are there for the next server.
    server.start()
    with ApiClient(server.base_url) as admin:
        admin.authenticate("admin", ADMIN_PASSWORD)
        assert {user.username for user in admin.users.list_users()} == {"admin", "kept"}
        assert admin.health.get_health_db().status == "ok"
