"""What every child process of the server shares: its settings, and dying with it.

Children (job workers, and the HTTP processes of a multi-process server) are separate
interpreters started with ``subprocess``, not forks: they share nothing with the server but
what is passed here, exactly like processes on other machines would.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from pydantic import SecretStr

from avatar_server.settings import Settings

# The server's pid, given to each child: one whose server died while it was still starting
# (before it could ask to die with it) sees another parent and exits instead of living on.
PARENT_PID_ENV = "AVATAR_WORKER_PARENT_PID"

_PR_SET_PDEATHSIG = 1

logger = logging.getLogger("avatar_server")


def child_environment(settings: Settings) -> dict[str, str]:
    """The settings as ``AVATAR_*`` variables, so a child reads the same configuration."""
    env = dict(os.environ)
    for name, value in settings:
        key = f"AVATAR_{name.upper()}"
        if value is None:
            env.pop(key, None)
            continue
        if isinstance(value, SecretStr):
            env[key] = value.get_secret_value()
        elif isinstance(value, list | dict):
            env[key] = json.dumps(value)
        else:
            env[key] = str(value)
    env[PARENT_PID_ENV] = str(os.getpid())
    return env


def die_with_parent() -> bool:
    """Linux: be sent SIGKILL when the server dies, however it dies. False if it is already
    gone (it died while this process was starting): the caller should exit."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    return parent_alive()


def parent_alive() -> bool:
    """Whether the server that started this process still runs."""
    parent = int(os.environ.get(PARENT_PID_ENV) or os.getppid())
    return os.getppid() == parent


def stop_children(processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """SIGTERM each child, so that it ends what it does cleanly; SIGKILL those that have not
    ended within ``timeout`` seconds."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def how_it_ended(returncode: int) -> str:
    """A child's end in words: "was killed by SIGKILL", "exited with code 1"."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if -returncode == signal.SIGKILL:
            return f"was killed by {name} (often the system's out-of-memory killer)"
        return f"was killed by {name}"
    return f"exited with code {returncode}"


def replace_exited(
    processes: list[subprocess.Popen[bytes]],
    spawn: Callable[[], subprocess.Popen[bytes]],
    what: str,
    stopping: threading.Event,
    on_exit: Callable[[subprocess.Popen[bytes]], None] = lambda _process: None,
) -> None:
    """Start a new child in the place of each that has exited, unless the server is stopping;
    ``on_exit`` is told of each exited child first."""
    for index, process in enumerate(processes):
        if process.poll() is not None and not stopping.is_set():
            logger.warning(
                "%s %d %s; restarting it", what, process.pid, how_it_ended(process.returncode)
            )
            on_exit(process)
            processes[index] = spawn()
