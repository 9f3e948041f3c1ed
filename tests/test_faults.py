"""Fault injection: kill -9 the server (or one of its workers) at the worst moments, restart it.

Each test kills (SIGKILL) a server of this module's own: while its workers are still starting,
during an upload, during the privacy metrics job with others queued, between two result files
(through the test hook ``AVATAR_TEST_HOOK_RESULT_PAUSE_SECONDS``), at every attempt of a job
(it must fail, with its dependents), under in-flight and new client calls; or kills one worker
alone (the reaper's case). Then it checks what must hold after any crash:

* no partial dataset: the list is unchanged and storage holds exactly the published objects of
  the listed datasets (unfinished writes are erased at start);
* no job stays ``running``: each ends done or failed, through the start-up re-queue or the
  reaper;
* every finished result is intact: each downloaded file's sha256 equals the manifest's, and
  storage holds only the committed attempt's files (an interrupted attempt is never listed,
  and its files are erased);
* no worker outlives its server (a stray one would go on claiming jobs);
* the client recovers where it should: idempotent calls made while the server is down succeed
  once it is back; an upload cut off mid-body is reported, never silently sent again.

The faults injected and survived are counted and printed at the end of the module.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import numpy as np
import pandas as pd
import pytest
from avatars_api.models import JobOut

from avatar_yaml import AvatarizationParameters, Config
from avatars import ApiClient
from avatars.errors import ApiConnectionError, ConflictError
from avatars.retry import RetryPolicy
from tests.server import (
    ServerProcess,
    processes_of_home,
    wait_all_done,
    wait_running,
    wait_until,
)

pytestmark = pytest.mark.heavy  # killed workers and servers at every step: `make test-heavy`

PASSWORD = "admin-password-faults"
LEASE_S = 5.0
# Retries spanning a restart (a start takes a few seconds): 30 attempts, at most 1 s apart.
PATIENT = RetryPolicy(max_attempts=30, backoff_seconds=0.2, max_backoff_seconds=1.0)


class FaultLog:
    """Faults injected and survived, by kind; printed when the module ends."""

    def __init__(self) -> None:
        self.injected: Counter[str] = Counter()
        self.survived: Counter[str] = Counter()

    def inject(self, kind: str) -> None:
        self.injected[kind] += 1

    def survive(self, kind: str) -> None:
        self.survived[kind] += 1

    def summary(self) -> str:
        kinds = ", ".join(
            f"{kind} {self.survived[kind]}/{count}" for kind, count in self.injected.items()
        )
        total_in, total_ok = sum(self.injected.values()), sum(self.survived.values())
        return f"faults injected {total_in}, survived {total_ok} ({kinds})"


@pytest.fixture(scope="module")
def faults(request: pytest.FixtureRequest) -> Iterator[FaultLog]:
    log = FaultLog()
    yield log
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\ntest_faults: {log.summary()}")
    else:  # pragma: no cover
        print(log.summary())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("faults") / "home",
        admin_password=PASSWORD,
        workers=2,
        job_lease_seconds=LEASE_S,
    )
    process.start()
    yield process
    process.stop()
    for pid in workers_of_home(process):  # a failed test must not leave workers running
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def api_key(server: ServerProcess) -> str:
    with ApiClient(server.base_url) as signed_in:
        signed_in.authenticate("admin", PASSWORD)
        return signed_in.api_keys.create_api_key("faults").key


@pytest.fixture(scope="module")
def client(server: ServerProcess, api_key: str) -> Iterator[ApiClient]:
    """The admin with a patient retry policy: its calls survive the restarts of the tests."""
    with ApiClient(server.base_url, api_key=api_key, retry=PATIENT) as keyed:
        yield keyed


@pytest.fixture(scope="module")
def user_id(client: ApiClient) -> str:
    return str(client.users.get_me().id)


@pytest.fixture(scope="module")
def medium(client: ApiClient) -> str:
    """100k rows × 6 columns: the privacy metrics take seconds, long enough to be killed."""
    rng = np.random.default_rng(1)
    rows = 100_000
    frame = pd.DataFrame(
        {f"x{i}": rng.normal(size=rows) for i in range(4)}
        | {f"c{i}": rng.choice(list("abcd"), size=rows) for i in range(2)}
    )
    return str(client.datasets.upload_dataset(frame, name="medium").id)


@pytest.fixture(scope="module")
def wbcd(client: ApiClient, shared_data: Path) -> str:
    return str(client.datasets.upload_dataset(shared_data / "wbcd.csv", name="wbcd").id)


# --- helpers -----------------------------------------------------------------------------------


def run_config(dataset_id: str, table: str) -> str:
    config = Config.new(table, seed=5)
    config.add_table(table, dataset_id)
    config.set_parameters(table, avatarization=AvatarizationParameters(k=10))
    return config.to_yaml()


def stored_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` (with or without a dot in its name), none if it is absent."""
    return sorted(path for path in folder.rglob("*") if path.is_file())


def temp_objects(server: ServerProcess) -> list[Path]:
    """Unfinished writes: a write is a hidden ``.partial`` file until it is complete."""
    return sorted((server.home / "storage").rglob("*.partial"))


def check_invariants(client: ApiClient, server: ServerProcess, user_id: str) -> list[JobOut]:
    """What must hold once the server is back and its jobs have settled (see the module doc)."""
    storage = server.home / "storage"
    assert temp_objects(server) == [], "temporary objects left after a start"
    assert_no_stray_worker(server)
    datasets = client.datasets.list_datasets()
    listed = {str(d.id) for d in datasets}
    stored = {path.name for path in (storage / "datasets" / user_id).iterdir()}
    assert stored == listed, "storage holds datasets the list does not show, or lacks some"
    for dataset in datasets:
        folder = storage / "datasets" / user_id / str(dataset.id)
        names = {path.name for path in folder.iterdir()}
        assert names in ({"uploaded"}, {"uploaded", "table.parquet"}), folder
        assert (folder / "uploaded").stat().st_size == dataset.size_bytes
    jobs = wait_all_done(client)
    assert {job.status for job in jobs} <= {"done", "failed", "cancelled"}
    for job in jobs:
        folder = storage / "results" / user_id / job.name
        if job.status != "done":
            assert not stored_files(folder), job
            listing = client.results.get_results(job.name)
            assert (listing.status, listing.files) == (job.status, []), job
            with pytest.raises(ConflictError):
                client.results.read_bytes(job.name, "anything.csv")
            continue
        files = client.results.get_results(job.name).files
        assert files, job
        manifest = json.loads(job_column(server, job.name, "results"))
        assert {entry["attempt"] for entry in manifest} == {job.attempts}, job.name
        # Only the committed attempt is stored, and only the files its manifest lists.
        assert sorted(p.name for p in folder.iterdir()) == [str(job.attempts)], job.name
        on_disk = sorted(p.name for p in (folder / str(job.attempts)).iterdir())
        assert on_disk == sorted(entry.name for entry in files), job.name
        for entry in files:
            data = client.results.read_bytes(job.name, entry.name)
            assert len(data) == entry.size, (job.name, entry.name)
            assert hashlib.sha256(data).hexdigest() == entry.sha256, (job.name, entry.name)
    return jobs


def job_column(server: ServerProcess, job_name: str, column: str) -> Any:
    """A column of a job's row, read from the server's SQLite database."""
    with sqlite3.connect(server.home / "avatars.db") as db:
        row = db.execute(f"SELECT {column} FROM jobs WHERE name = ?", (job_name,)).fetchone()
    assert row is not None, job_name
    return row[0]


def kill(server: ServerProcess, faults: FaultLog, kind: str) -> None:
    server.stop(signal.SIGKILL)
    faults.inject(kind)


def workers_of_home(server: ServerProcess) -> dict[int, int]:
    """Every live worker process over this server's home: pid -> parent pid."""
    return processes_of_home(server.home, "avatar_server.processes.job_worker")


def worker_pids(server: ServerProcess) -> list[int]:
    """The running server's worker processes."""
    assert server.process is not None
    pid = server.process.pid
    return [worker for worker, parent in workers_of_home(server).items() if parent == pid]


def assert_no_stray_worker(server: ServerProcess, timeout: float = 30.0) -> None:
    """No worker outlives its server: each live worker over this home is the server's own."""
    current = server.process.pid if server.process is not None else None
    wait_until(
        lambda: all(parent == current for parent in workers_of_home(server).values()),
        timeout=timeout,
        what=f"stray workers to exit: {workers_of_home(server)}",
    )


class SlowBody(io.RawIOBase):
    """An upload body fed by a generator, slowly; counts how often the client rewinds it
    (once per attempt to send it)."""

    name = "slow.csv"

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self.chunks = chunks
        self.pending = b""
        self.rewinds = 0
        self.sent = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.sent

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET:  # no length to peek at: the body is sent chunked
            raise io.UnsupportedOperation("a generator has no end to seek to")
        self.rewinds += 1
        return offset

    def read(self, size: int | None = -1) -> bytes:
        if not self.pending:
            self.pending = next(self.chunks, b"")
        limit = len(self.pending) if size is None or size < 0 else size
        chunk, self.pending = self.pending[:limit], self.pending[limit:]
        self.sent += len(chunk)
        return chunk


def slow_csv(
    total_bytes: int, chunk_bytes: int = 64 * 1024, delay: float = 0.01
) -> Iterator[bytes]:
    yield b"a,b,c\n"
    line = b"1.5,2,x\n"
    sent = 0
    while sent < total_bytes:
        time.sleep(delay)
        chunk = line * (chunk_bytes // len(line))
        sent += len(chunk)
        yield chunk


# --- the faults ----------------------------------------------------------------------------------


def test_kill_while_the_workers_start(server: ServerProcess, faults: FaultLog) -> None:
    """Killed before its workers finished importing, the server leaves none behind (they would
    keep claiming jobs from the database with nobody to reap them)."""
    server.stop()
    server.start()
    starting = worker_pids(server)
    assert len(starting) == 2
    kill(server, faults, "start-up")
    assert_no_stray_worker(server)
    assert not set(starting) & set(workers_of_home(server))
    server.start()
    faults.survive("start-up")


def test_kill_during_an_upload(
    server: ServerProcess, client: ApiClient, user_id: str, wbcd: str, faults: FaultLog
) -> None:
    before = {d.id for d in client.datasets.list_datasets()}
    body = SlowBody(slow_csv(total_bytes=200 * 1024 * 1024))
    outcome: list[BaseException | object] = []

    def upload() -> None:
        try:
            outcome.append(client.datasets.upload_dataset(cast(Any, body), name="cut"))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=upload)
    thread.start()
    # The server has written at least 2 MiB of the body to its unfinished object: mid-upload.
    wait_until(
        lambda: any(p.stat().st_size >= 2 * 1024 * 1024 for p in temp_objects(server)),
        timeout=60,
        what="the upload to reach the server's unfinished object",
    )
    kill(server, faults, "upload")
    thread.join(timeout=60)
    assert not thread.is_alive()
    # Not idempotent: the client reports the cut-off upload, it does not send it again.
    assert len(outcome) == 1 and isinstance(outcome[0], ApiConnectionError), outcome
    assert body.rewinds == 1
    # While the server is down, the partial body is only an unfinished (hidden) object.
    assert temp_objects(server), "the partial upload should be an unfinished object"
    server.start()
    assert temp_objects(server) == []
    assert {d.id for d in client.datasets.list_datasets()} == before
    check_invariants(client, server, user_id)
    faults.survive("upload")


def test_kill_during_privacy_metrics_with_jobs_queued(
    server: ServerProcess, client: ApiClient, user_id: str, medium: str, wbcd: str, faults: FaultLog
) -> None:
    resource = client.resources.put_resources("medium", run_config(medium, "medium"))
    standard = client.jobs.create_job(resource.set_name, "standard")
    privacy = client.jobs.create_job(resource.set_name, "privacy_metrics", [standard.name])
    # More work queued behind it on both workers.
    other = client.resources.put_resources("wbcd", run_config(wbcd, "wbcd"))
    queued = [client.jobs.create_job(other.set_name, "standard") for _ in range(3)]
    wait_running(client, privacy.name)
    kill(server, faults, "privacy job")
    server.start()
    jobs = {job.name: job for job in check_invariants(client, server, user_id)}
    assert jobs[privacy.name].status == "done", jobs[privacy.name]
    assert jobs[privacy.name].attempts == 2
    assert jobs[standard.name].status == "done"
    assert all(jobs[job.name].status == "done" for job in queued)
    faults.survive("privacy job")


def test_kill_between_two_result_files(
    server: ServerProcess, client: ApiClient, user_id: str, wbcd: str, faults: FaultLog
) -> None:
    server.stop()
    server.env["AVATAR_TEST_HOOK_RESULT_PAUSE_SECONDS"] = "0.5"
    try:
        server.start()
        resource = client.resources.put_resources("wbcd", run_config(wbcd, "wbcd"))
        job = client.jobs.create_job(resource.set_name, "standard")
        attempt = server.home / "storage" / "results" / user_id / job.name / "1"
        wait_until(
            lambda: attempt.exists() and len(list(attempt.iterdir())) >= 2,
            what="the first result files",
        )
        kill(server, faults, "result writing")
    finally:
        del server.env["AVATAR_TEST_HOOK_RESULT_PAUSE_SECONDS"]
    written = sorted(p.name for p in attempt.iterdir())
    assert 2 <= len(written) < 6, written  # a standard job writes 7 files: cut in the middle
    server.start()
    # The interrupted attempt is never listed: no results until the re-run commits its own.
    current = client.jobs.get_job(job.name)
    if current.status != "done":
        assert client.results.get_results(job.name).files == []
    jobs = {j.name: j for j in check_invariants(client, server, user_id)}
    assert jobs[job.name].status == "done" and jobs[job.name].attempts == 2
    assert not attempt.exists(), "the interrupted attempt's files are still stored"
    faults.survive("result writing")


def test_a_job_killed_at_each_attempt_fails_with_its_dependents(
    server: ServerProcess, client: ApiClient, user_id: str, medium: str, faults: FaultLog
) -> None:
    server.stop()
    server.env["AVATAR_JOB_MAX_ATTEMPTS"] = "2"
    try:
        server.start()
        resource = client.resources.put_resources("medium", run_config(medium, "medium"))
        job = client.jobs.create_job(resource.set_name, "standard")
        privacy = client.jobs.create_job(resource.set_name, "privacy_metrics", [job.name])
        for _ in range(2):
            wait_running(client, job.name)
            kill(server, faults, "every attempt")
            server.start()
        jobs = {j.name: j for j in check_invariants(client, server, user_id)}
    finally:
        del server.env["AVATAR_JOB_MAX_ATTEMPTS"]
    assert jobs[job.name].status == "failed" and jobs[job.name].attempts == 2
    assert "lost" in jobs[job.name].error, jobs[job.name].error
    assert jobs[privacy.name].status == "failed"
    assert "lost" in jobs[privacy.name].error and job.name in jobs[privacy.name].error
    for _ in range(2):
        faults.survive("every attempt")


def test_kill_a_worker_the_reaper_requeues_its_job(
    server: ServerProcess, client: ApiClient, user_id: str, medium: str, faults: FaultLog
) -> None:
    resource = client.resources.put_resources("medium", run_config(medium, "medium"))
    job = client.jobs.create_job(resource.set_name, "standard")
    running = wait_running(client, job.name)
    holder = int(str(job_column(server, job.name, "worker")).split(":")[1])  # host:pid:id
    assert holder in worker_pids(server)
    os.kill(holder, signal.SIGKILL)
    faults.inject("worker")
    jobs = {j.name: j for j in check_invariants(client, server, user_id)}
    assert jobs[job.name].status == "done" and jobs[job.name].attempts == 2, jobs[job.name]
    assert running.attempts == 1
    assert holder not in worker_pids(server) and len(worker_pids(server)) == 2
    faults.survive("worker")


def test_idempotent_calls_recover_across_a_restart(
    server: ServerProcess, api_key: str, user_id: str, medium: str, wbcd: str, faults: FaultLog
) -> None:
    sent: Counter[str] = Counter()
    http = httpx.Client(timeout=60, event_hooks={"request": [lambda r: sent.update([r.url.path])]})
    client = ApiClient(server.base_url, api_key=api_key, retry=PATIENT, http_client=http)
    finished = client.jobs.create_job(
        client.resources.put_resources("wbcd", run_config(wbcd, "wbcd")).set_name, "standard"
    )
    wait_all_done(client)
    entry = client.results.get_results(finished.name).files[0]
    # A long-poll in flight when the server dies: it watches a job waiting on a running one.
    resource = client.resources.put_resources("medium", run_config(medium, "medium"))
    blocker = client.jobs.create_job(resource.set_name, "standard")
    waiting = client.jobs.create_job(resource.set_name, "privacy_metrics", [blocker.name])
    wait_running(client, blocker.name)
    answers: dict[str, Any] = {}
    errors: list[BaseException] = []

    def call(key: str, function: Callable[[], Any]) -> None:
        try:
            answers[key] = function()
        except BaseException as error:
            errors.append(error)

    poll_path = f"/api/jobs/{waiting.name}"
    before = sent[poll_path]
    long_poll = threading.Thread(
        target=call, args=("long_poll", lambda: client.jobs.get_job(waiting.name, wait=20))
    )
    long_poll.start()
    wait_until(lambda: sent[poll_path] > before, what="the long-poll to be sent")
    time.sleep(0.1)  # in flight: sent, waiting for a change that takes seconds
    kill(server, faults, "restart under calls")
    # Calls made while the server is down.
    calls: dict[str, Callable[[], Any]] = {
        "get_job": lambda: client.jobs.get_job(finished.name),
        "list_jobs": lambda: client.jobs.get_jobs(limit=20),
        "list_datasets": client.datasets.list_datasets,
        "download": lambda: client.results.read_bytes(finished.name, entry.name),
    }
    threads = [long_poll] + [threading.Thread(target=call, args=i) for i in calls.items()]
    for thread in threads[1:]:
        thread.start()
    time.sleep(1.5)  # the calls fail to connect and back off meanwhile
    assert all(thread.is_alive() for thread in threads)
    server.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sent[poll_path] - before >= 2, "the cut long-poll was not sent again"
    assert answers["long_poll"].name == waiting.name
    assert answers["get_job"].status == "done"
    assert finished.name in {j.name for j in answers["list_jobs"].jobs}
    assert hashlib.sha256(answers["download"]).hexdigest() == entry.sha256
    # Without retries the same call fails at once while the server is down.
    kill(server, faults, "restart under calls")
    impatient = ApiClient(server.base_url, api_key=api_key, retry=RetryPolicy.none())
    with impatient, pytest.raises(ApiConnectionError):
        impatient.jobs.get_job(finished.name)
    server.start()
    jobs = {j.name: j for j in check_invariants(client, server, user_id)}
    assert jobs[blocker.name].status == jobs[waiting.name].status == "done"
    client.close()
    http.close()
    faults.survive("restart under calls")
    faults.survive("restart under calls")
