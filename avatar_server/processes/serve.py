"""``avatars serve`` and ``python -m avatar_server``: run the server with uvicorn, in this one
process or, with ``AVATAR_API_PROCESSES`` above 1, as a supervisor of several HTTP processes."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from avatar_server.processes.app import create_app
from avatar_server.processes.preflight import preflight
from avatar_server.processes.supervisor import Supervisor
from avatar_server.security.files import restrict_umask
from avatar_server.services.users import UnusableSettingError, check_admin_password
from avatar_server.settings import Settings
from avatar_server.startup_errors import StartupError

logger = logging.getLogger("avatar_server")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, settings: Settings | None = None
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    restrict_umask()
    settings = settings or Settings()
    try:
        check_admin_password(settings)
        # Runtime.start checks again, but there uvicorn would wrap the message in a traceback.
        preflight(settings)
    except (UnusableSettingError, StartupError) as exc:
        logger.error("not starting: %s", exc)  # said once, without a traceback
        sys.exit(2)
    if settings.api_processes > 1:
        Supervisor(settings, host, port).run()
        return
    uvicorn.run(create_app(settings, dedicated=True), host=host, port=port, log_level="info")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="avatar_server", description="Run the avatars server.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    serve(args.host, args.port)
