"""One HTTP process of a multi-process server (``python -m avatar_server.processes.http_process``).

Started by ``processes.supervisor`` with the server's settings in its environment and the
listening socket as an inherited file descriptor: the kernel hands each new connection to one
of the processes accepting on it. The process serves requests only; database, storage and job
workers belong to the supervisor. It dies with the supervisor, however that dies.
"""

from __future__ import annotations

import os
import socket

import uvicorn

from avatar_server.processes.app import create_app
from avatar_server.processes.children import die_with_parent
from avatar_server.security.files import restrict_umask
from avatar_server.settings import Settings

LISTEN_FD_ENV = "AVATAR_LISTEN_FD"


def main() -> None:
    restrict_umask()
    if not die_with_parent():
        return  # the supervisor died while this process was starting
    listener = socket.socket(fileno=int(os.environ[LISTEN_FD_ENV]))
    app = create_app(Settings(), owner=False, dedicated=True)
    config = uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=10)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
