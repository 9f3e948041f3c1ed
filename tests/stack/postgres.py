"""A throwaway PostgreSQL cluster from the Debian server binaries, for the integration tests.

The cluster lives in a fresh temporary folder owned by ``postgres``: initdb and postgres refuse
to run as root, so as root they run through ``runuser``, and a folder under pytest's
``tmp_path`` (0700, root's) would be unreadable to them. Durability is off (``fsync``,
``synchronous_commit``, ``full_page_writes``): the data dies with the test session anyway.

Authentication mirrors a real server's for every role but ``postgres``: the tests connect as
``postgres`` without a password (``trust``), while any other role must give its password
(``scram-sha-256``), so a test can check what a wrong password does.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from tests.server import free_port

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
DATABASE = "avatars_test"
_START_WAIT_S = 30
_STOP_WAIT_S = 10
_HBA = f"""\
local all all trust
host all {SUPERUSER} 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def server_binaries(installed: Path = DEBIAN_ROOT) -> Path:
    """The ``bin`` folder of the newest PostgreSQL installed by Debian's packages."""

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))

    found = [
        folder
        for folder in installed.glob("*/bin")
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()
    ]
    if not found:
        raise PostgresMissing(
            f"the PostgreSQL server binaries (initdb, pg_ctl) are not under {installed}/*/bin: "
            "apt-get install postgresql (make install does it)"
        )
    return max(found, key=version)


def _as_postgres() -> list[str]:
    """The prefix that runs a command as ``postgres`` when we are root (who may not run it)."""
    return ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}): {result.stderr or result.stdout}")


def _log_tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    """Start a throwaway cluster holding one empty database; yield its SQLAlchemy URL.

    The server log is copied to ``workdir/postgres.log`` when the cluster stops. The cluster
    is stopped and its folder deleted whatever happens, including a failed start.
    """
    binaries = server_binaries()
    root = Path(tempfile.mkdtemp(prefix="avatars-pg-"))
    data, log = root / "data", root / "server.log"
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        if os.geteuid() == 0:
            account = pwd.getpwnam(SUPERUSER)
            os.chown(root, account.pw_uid, account.pw_gid)
        cleanup.callback(_copy_log, log, workdir / "postgres.log")
        _run(
            [
                *_as_postgres(),
                str(binaries / "initdb"),
                *("-D", str(data), "-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8"),
                "--no-sync",
                "--no-instructions",
            ],
            "initdb",
        )
        (data / "pg_hba.conf").write_text(_HBA)
        port = free_port()
        options = " ".join(
            [
                f"-p {port}",
                f"-k {root}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        # Registered before the start: a start that times out may still leave a server.
        cleanup.callback(_stop, binaries, data)
        start = [*_as_postgres(), str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log)]
        start += ["-w", "-t", str(_START_WAIT_S), "-o", options, "start"]
        try:
            _run(start, "pg_ctl start")
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\nserver log:\n{_log_tail(log)}") from exc
        server = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
        yield fresh_database(server, DATABASE)


def fresh_database(url: str, name: str) -> str:
    """Create the empty database ``name`` on the cluster of ``url``; its URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"database name {name!r}: use lower-case letters, digits and _")
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _stop(binaries: Path, data: Path) -> None:
    """Stop the server at once (its data is thrown away); kill it if pg_ctl cannot."""
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return
    stop = [*_as_postgres(), str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate"]
    result = subprocess.run(
        [*stop, "-w", "-t", str(_STOP_WAIT_S), "stop"], capture_output=True, check=False
    )
    if result.returncode != 0 and pid_file.exists():
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


def _copy_log(log: Path, destination: Path) -> None:
    with contextlib.suppress(OSError):
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, destination)
