"""A real avatars server in a subprocess on a loopback port, and waiting for what it does.

Every wait of the tests is here: :func:`wait_until` for any condition, :func:`wait_for_job`
and its shorthands (:func:`wait_for_status`, :func:`wait_done`, :func:`wait_running`) for one
job, :func:`wait_all_done` for every job of a user. A failed wait raises an ``AssertionError``
that names what was awaited, what was last seen and how long it was waited.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    # Types only: the schemathesis hooks process (tests.test_fuzz) imports this module and
    # must not need the client nor its generated models.
    from avatars_api.models import JobOut

    from avatars import ApiClient

WAIT_S = 120.0
# One long-poll of GET /jobs/{name}?wait=: the server answers as soon as the job changes.
LONG_POLL_S = 5.0


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")


def get_job(client: ApiClient | httpx.Client, name: str, wait: float = 0.0) -> JobOut:
    """The job's state; with ``wait``, as soon as it changes (or after ``wait`` seconds).

    ``client`` is an :class:`~avatars.ApiClient` or a signed-in ``httpx.Client`` whose base URL
    is the API's (the tests that check the HTTP layer itself have no ``ApiClient``)."""
    if isinstance(client, httpx.Client):
        from avatars_api.models import JobOut  # here, not above: see the imports

        response = client.get(f"/jobs/{name}", params={"wait": wait})
        assert response.status_code == 200, f"GET /jobs/{name}: {response.text}"
        return JobOut.from_dict(response.json())
    return client.jobs.get_job(name, wait=wait)


def describe_job(job: JobOut) -> str:
    """``status`` with the stage and progress of a job at work, or the error of a failed one."""
    text = str(job.status)
    if job.stage and not job.done:
        text += f" (stage {job.stage!r}, progress {job.progress:.0%})"
    if job.error:
        text += f" ({job.error})"
    return text


def wait_for_job(
    client: ApiClient | httpx.Client,
    name: str,
    condition: Callable[[JobOut], bool],
    what: str,
    timeout: float = WAIT_S,
) -> JobOut:
    """Long-poll the job ``name`` until ``condition`` holds for it; its state then.

    Fails after ``timeout`` seconds, or as soon as the job ended without ``condition`` holding
    (an ended job never changes again), naming the job, the status it was last seen in and for
    how long, and how long it was waited to be ``what`` (e.g. ``"done"``)."""
    started = time.monotonic()
    job = get_job(client, name)
    since, status = started, job.status
    while not condition(job):
        now = time.monotonic()
        seen = f"last seen {describe_job(job)} for {now - since:.1f} s"
        if job.done:
            raise AssertionError(
                f"job {name} ({job.kind}) ended and will never be {what}: {seen}, "
                f"after waiting {now - started:.1f} s"
            )
        if now - started >= timeout:
            raise AssertionError(
                f"job {name} ({job.kind}) still not {what} after waiting {now - started:.1f} s "
                f"(timeout {timeout:g} s): {seen}"
            )
        job = get_job(client, name, wait=min(LONG_POLL_S, started + timeout - now))
        if job.status != status:
            since, status = time.monotonic(), job.status
    return job


def wait_for_status(
    client: ApiClient | httpx.Client,
    name: str,
    statuses: str | Collection[str],
    timeout: float = WAIT_S,
) -> JobOut:
    """Wait until the job ``name`` is in one of ``statuses`` (a single status is accepted)."""
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    return wait_for_job(
        client,
        name,
        lambda job: str(job.status) in wanted,
        " or ".join(sorted(wanted)),
        timeout,
    )


def wait_done(client: ApiClient | httpx.Client, name: str, timeout: float = WAIT_S) -> JobOut:
    """Wait until the job ``name`` has ended, whichever way (done, failed or cancelled)."""
    return wait_for_job(client, name, lambda job: job.done, "ended", timeout)


def wait_running(client: ApiClient | httpx.Client, name: str, timeout: float = WAIT_S) -> JobOut:
    """Wait until the job ``name`` runs and has reported progress: it is computing, no longer
    starting (the moment to cancel it or to kill its worker)."""
    return wait_for_job(
        client,
        name,
        lambda job: str(job.status) == "running" and job.progress > 0,
        "running with progress",
        timeout,
    )


def wait_all_done(client: ApiClient, timeout: float = WAIT_S) -> list[JobOut]:
    """Wait until no job of ``client``'s user is pending or running; every job then."""
    started = time.monotonic()
    while True:
        jobs = client.jobs.get_jobs(limit=1000).jobs
        if all(job.done for job in jobs):
            return jobs
        if time.monotonic() - started >= timeout:
            stuck = ", ".join(f"{job.name} {describe_job(job)}" for job in jobs if not job.done)
            raise AssertionError(f"jobs still not ended after waiting {timeout:g} s: {stuck}")
        time.sleep(0.2)


def processes_of_home(home: Path, module: str) -> dict[int, int]:
    """Live processes running ``python -m <module>`` over ``home``: pid -> parent pid."""
    marker, setting = module.encode(), f"AVATAR_HOME={home}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if marker not in (entry / "cmdline").read_bytes():
                continue
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if setting in environment and state != "Z":
            found[int(entry.name)] = int(parent)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``python -m avatar_server`` over ``home``, restartable with the same data."""

    def __init__(self, home: Path, **settings: str | float) -> None:
        self.home = home
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AVATAR_")}
        self.env.update({f"AVATAR_{k.upper()}": str(v) for k, v in settings.items()})
        self.env["AVATAR_HOME"] = str(home)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = home.parent / f"{home.name}-server.log"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api"

    def start(self, timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "avatar_server", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start-up:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start within {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
