"""Is the database URL usable? Checked before the server migrates or serves anything.

A wrong URL would otherwise surface as a driver's traceback from deep in the migrations. Each
way it can be wrong gets its own plain :class:`~avatar_server.startup_errors.StartupError`
naming what to fix: an unsupported scheme, a driver that is not installed, a server that does
not answer, credentials it refuses (the user is named; the password never is), a database it
does not have.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import URL, create_engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from avatar_server.db.session import CONNECT_TIMEOUT_S
from avatar_server.startup_errors import StartupError

SETTING = "AVATAR_DATABASE_URL"
EXAMPLES = "sqlite:////path/to/avatars.db or postgresql+psycopg://user:password@host:5432/database"
POSTGRESQL_DRIVER = "psycopg"
POSTGRESQL_EXTRA = "pip install 'open-avatars[postgresql]'"


def check_database(url: str) -> None:
    """Raise :class:`StartupError` if the server cannot use the database at ``url``.

    A SQLite URL needs nothing more (the server creates the file); a PostgreSQL URL is
    connected to once, with a short timeout."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return
    if backend != "postgresql":
        raise StartupError(f"{SETTING}: the {backend!r} database is not supported; use {EXAMPLES}")
    # SQLAlchemy 2.1 reads a plain postgresql:// with psycopg too.
    if parsed.get_driver_name() != POSTGRESQL_DRIVER:
        raise StartupError(
            f"{SETTING}: PostgreSQL is reached through the psycopg driver, not "
            f"{parsed.get_driver_name()!r}: write the URL as postgresql+psycopg://…"
        )
    try:
        importlib.import_module(POSTGRESQL_DRIVER)
    except ImportError as exc:
        raise StartupError(
            f"{SETTING} names PostgreSQL, but its driver cannot be imported ({exc}): "
            f"{POSTGRESQL_EXTRA}"
        ) from None
    _connect_once(parsed)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        # The URL itself is not shown: it may hold a password.
        raise StartupError(f"{SETTING} is not a database URL; use {EXAMPLES}") from None


def _connect_once(url: URL) -> None:
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise StartupError(_explain(url, str(exc.orig))) from None
    finally:
        engine.dispose()


@dataclass(frozen=True)
class _Target:
    """Where the server tried to connect, as said back to the user (never the password)."""

    host: str
    port: int
    user: str
    database: str

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def _explain(url: URL, driver_message: str) -> str:
    """A plain sentence for a refused connection, from libpq's message (which has no stable
    error code for connection failures, only its English text)."""
    target = _Target(
        url.host or "localhost", url.port or 5432, url.username or "", url.database or ""
    )
    for markers, explain in _EXPLANATIONS:
        if all(marker in driver_message for marker in markers):
            return explain(target)
    lines = driver_message.strip().splitlines()
    detail = lines[-1].strip() if lines else "no detail"
    if url.password:
        detail = detail.replace(url.password, "***")
    return (
        f"cannot use PostgreSQL at {target.where} as user {target.user!r}: {detail} "
        f"(check {SETTING})"
    )


def _unreachable(how: str) -> Callable[[_Target], str]:
    return lambda t: (
        f"cannot reach PostgreSQL at {t.where} ({how}): is PostgreSQL running there, and are "
        f"the host and port in {SETTING} right?"
    )


def _wrong_password(t: _Target) -> str:
    return (
        f"PostgreSQL at {t.where} refused the password of user {t.user!r} (or has no such "
        f"user): fix the user name and password in {SETTING}"
    )


def _no_password(t: _Target) -> str:
    return (
        f"PostgreSQL at {t.where} wants a password for user {t.user!r} and {SETTING} gives "
        "none: write it as postgresql+psycopg://user:password@host:port/database"
    )


def _not_allowed(t: _Target) -> str:
    return (
        f"PostgreSQL at {t.where} does not let user {t.user!r} connect to database "
        f"{t.database!r} from this host: allow it in the server's pg_hba.conf, or fix the user "
        f"and database in {SETTING}"
    )


def _no_database(t: _Target) -> str:
    return (
        f"PostgreSQL at {t.where} has no database {t.database!r}: create it (createdb -h "
        f"{t.host} -p {t.port} -U {t.user} {t.database}) or fix the database name in {SETTING}"
    )


def _no_user(t: _Target) -> str:
    return (
        f"PostgreSQL at {t.where} has no user {t.user!r}: create it (CREATE ROLE … LOGIN "
        f"PASSWORD …) or fix the user name in {SETTING}"
    )


_EXPLANATIONS: list[tuple[tuple[str, ...], Callable[[_Target], str]]] = [
    (("Connection refused",), _unreachable("connection refused")),
    (("failed to resolve host",), _unreachable("the host name does not resolve")),
    (("timeout expired",), _unreachable(f"no answer within {CONNECT_TIMEOUT_S} s")),
    (("No route to host",), _unreachable("no route to host")),
    (("password authentication failed",), _wrong_password),
    (("no password supplied",), _no_password),
    (("no pg_hba.conf entry",), _not_allowed),
    (('database "', "does not exist"), _no_database),
    (('role "', "does not exist"), _no_user),
]
