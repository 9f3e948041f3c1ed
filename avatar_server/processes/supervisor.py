"""A server of several HTTP processes: one Python process serves from one core at most.

The supervisor prepares the database, storage and secret once, runs the job workers and the
mail sender, binds the port, and keeps ``settings.api_processes`` HTTP processes
(``processes.http_process``) accepting on it, restarting any that dies. SIGTERM or SIGINT
stops them (each finishes the requests it has), then the mail sender and the job workers
(which hand their jobs back).

What the HTTP processes share goes through the database: sessions, jobs, the rate limits,
queued mail. Nothing of a request lives in a process's memory beyond the request.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
from types import FrameType

from avatar_server.processes.app import start_runtime
from avatar_server.processes.children import child_environment, replace_exited, stop_children
from avatar_server.processes.executor import make_executor
from avatar_server.processes.http_process import LISTEN_FD_ENV
from avatar_server.processes.mail_sender import MailSender
from avatar_server.runtime import Runtime
from avatar_server.settings import Settings

logger = logging.getLogger("avatar_server")

_BACKLOG = 2048
_CHECK_EVERY_S = 0.5
_STOP_WAIT_S = 15.0


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, inheritable so that the HTTP processes can accept on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(_BACKLOG)
    listener.set_inheritable(True)
    return listener


class Supervisor:
    """Runs a multi-process server until SIGTERM or SIGINT."""

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()

    def run(self) -> None:
        runtime = Runtime(self.settings)
        start_runtime(runtime)
        pool = make_executor(self.settings, runtime.sessions)
        mail = MailSender(runtime)
        listener = listen(self.host, self.port)
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            pool.start()
            mail.start()
            environment = child_environment(self.settings)
            environment[LISTEN_FD_ENV] = str(listener.fileno())
            # Started by this (the main) thread: children asked to die with their parent die
            # when the thread that started them ends.
            self.processes = [
                self._spawn(environment, listener) for _ in range(self.settings.api_processes)
            ]
            logger.info(
                "serving on http://%s:%d with %d HTTP processes",
                self.host,
                self.port,
                len(self.processes),
            )
            while not self._stop.wait(_CHECK_EVERY_S):
                replace_exited(
                    self.processes,
                    lambda: self._spawn(environment, listener),
                    "HTTP process",
                    self._stop,
                )
        finally:
            stop_children(self.processes, _STOP_WAIT_S)
            self.processes = []
            mail.stop()
            pool.stop()
            runtime.stop()
            listener.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _spawn(
        self, environment: dict[str, str], listener: socket.socket
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "avatar_server.processes.http_process"],
            env=environment,
            pass_fds=(listener.fileno(),),
            stdin=subprocess.DEVNULL,
        )

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._stop.set()
