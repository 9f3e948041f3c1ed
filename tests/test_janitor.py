"""A server that runs for long sweeps its storage while it runs, not only at start-up: an
upload no dataset row points to (a crash between the write and the commit) is erased once
older than the grace period; a dataset's own upload is kept."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from avatars import ApiClient
from tests.server import ServerProcess, wait_until

PASSWORD = "admin-password-janitor"
HOURS_AGO = 2 * 3600


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path / "home",
        admin_password=PASSWORD,
        orphan_sweep_seconds=0.5,
        job_lease_seconds=1.5,  # the watch loop (and so the sweep) runs every 0.5 s
    )
    process.start()
    yield process
    process.stop()


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    for entry in [path, *path.rglob("*")]:
        os.utime(entry, (then, then))


def test_an_orphan_upload_is_erased_while_the_server_runs(server: ServerProcess) -> None:
    with ApiClient(server.base_url) as client:
        client.authenticate("admin", PASSWORD)
        kept = client.datasets.upload_dataset(pd.DataFrame({"x": [1, 2, 3]}), name="kept")
    storage = server.home / "storage" / "datasets"
    (owned,) = list(storage.glob(f"*/{kept.id}"))
    orphan = storage / uuid.uuid4().hex / uuid.uuid4().hex
    orphan.mkdir(parents=True)
    (orphan / "uploaded").write_bytes(b"a,b\n1,2\n")
    age(orphan, HOURS_AGO)
    age(owned, HOURS_AGO)
    wait_until(lambda: not orphan.exists(), timeout=30, what="the orphan upload to be erased")
    assert owned.is_dir() and any(owned.iterdir())
