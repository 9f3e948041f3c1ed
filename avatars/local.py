"""The embedded server: an avatars server started in-process on 127.0.0.1, for one user.

Used when no server URL is given (``Manager()``). It runs in local single-user mode: a name
signing in for the first time becomes a user, so ``authenticate("user", "pass")`` from the
documentation works unchanged. One server per process (:func:`shared_embedded_server`),
stopped at exit. It needs the ``server`` extra (``open-avatars[server]``).
"""

from __future__ import annotations

import asyncio
import atexit
import secrets
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn


@dataclass
class EmbeddedServer:
    """A running in-process server; ``base_url`` ends in ``/api``."""

    base_url: str
    home: Path
    _server: uvicorn.Server
    _thread: threading.Thread

    def local_credentials(self) -> tuple[str, str]:
        """The local user the embedded server signs in by default (its password is kept in a
        0600 file under ``home``)."""
        path = self.home / "local_password"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            with path.open("x", encoding="utf-8") as handle:
                path.chmod(0o600)
                handle.write(secrets.token_urlsafe(24))
        except FileExistsError:
            pass
        return LOCAL_USERNAME, path.read_text(encoding="utf-8").strip()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


LOCAL_USERNAME = "local"
_shared: EmbeddedServer | None = None
_shared_lock = threading.Lock()


def shared_embedded_server() -> EmbeddedServer:
    """The process's embedded server, started on first use over ``AVATAR_HOME`` and stopped
    when the interpreter exits; every ``Manager()`` without a URL shares it."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared._thread.is_alive():
            _shared = start_embedded_server()
            atexit.register(_stop_shared)
        return _shared


def _stop_shared() -> None:
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None


def start_embedded_server(
    home: Path | None = None, *, local_mode: bool = True, startup_timeout: float = 60.0
) -> EmbeddedServer:
    """Start a server on an ephemeral loopback port over ``home`` (default ``AVATAR_HOME``)
    and wait until it serves."""
    try:
        import uvicorn

        from avatar_server.processes.app import create_app
        from avatar_server.settings import Settings
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the embedded server needs the server extra: pip install 'open-avatars[server]'"
        ) from exc

    overrides: dict[str, object] = {"local_mode": local_mode}
    if home is not None:
        overrides["home"] = home
    settings = Settings(**overrides)  # type: ignore[arg-type]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the starting thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name="avatars-embedded-server", daemon=True)
    thread.start()
    waited = 0.0
    while not server.started:
        if failure or not thread.is_alive():
            raise RuntimeError(f"the embedded server failed to start: {failure[:1]}")
        if waited > startup_timeout:
            server.should_exit = True
            raise RuntimeError(f"the embedded server did not start within {startup_timeout} s")
        threading.Event().wait(0.05)
        waited += 0.05
    return EmbeddedServer(
        base_url=f"http://127.0.0.1:{port}/api", home=settings.home, _server=server, _thread=thread
    )
