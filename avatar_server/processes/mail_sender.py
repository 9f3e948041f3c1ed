"""The mail sender: a thread of the server's owner process that delivers the queued password
reset requests (``services.password_reset``), so that no request waits on the mail server.

One per server (the process that prepares the database and runs the job workers); servers of
several hosts sharing a database each run one, and each request is taken by one of them.
"""

from __future__ import annotations

import logging
import threading

from avatar_server.runtime import Runtime
from avatar_server.services.password_reset import deliver_queued_requests

logger = logging.getLogger("avatar_server")

_STOP_WAIT_S = 35.0  # an SMTP exchange under way may take its 30 s timeout


class MailSender:
    """Polls the queue every ``settings.mail_poll_seconds`` until stopped."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="avatar-mail", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        runtime = self.runtime
        while True:
            try:
                deliver_queued_requests(runtime.sessions, runtime.mailer, runtime.settings)
            except Exception:
                logger.exception("the mail sender's pass failed; it will try again")
            if self._stop.wait(runtime.settings.mail_poll_seconds):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=_STOP_WAIT_S)
