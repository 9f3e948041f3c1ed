"""Engine and session factory, plus migrations applied at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, make_url, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_POOL_SIZE = 40
# PostgreSQL runs a process per connection, and every API process, job worker and replica has
# its own pool, so a pool keeps few idle connections: 10 kept, up to 30 under a burst (an API
# process runs 40 request threads, but a request holds its connection for milliseconds and a
# long-poll holds none while it waits). A request beyond them waits up to POOL_TIMEOUT_S for
# one. The server's max_connections must cover 30 per API process plus 3 per job worker.
POSTGRESQL_POOL_SIZE = 10
POSTGRESQL_MAX_OVERFLOW = 20
POOL_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 10
MIGRATION_LOCK = 0x6176617461727347  # "avatarsG": the advisory lock key of schema upgrades


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL and foreign keys so it behaves like a real server DB.

    Any other URL is PostgreSQL's (``check.check_database`` refuses the rest)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # Keep one connection per request thread (anyio runs 40): with the default 5, busy
            # servers opened and closed a connection (and ran the pragmas) on most requests.
            pool_size=SQLITE_POOL_SIZE,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(
        url,
        # A connection the database dropped (restart, failover, idle timeout) is replaced
        # when taken from the pool instead of failing the request that took it.
        pool_pre_ping=True,
        pool_size=POSTGRESQL_POOL_SIZE,
        max_overflow=POSTGRESQL_MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "avatars"},
    )


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database URL (None for another database, or one in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):
        return None  # a URI filename: SQLite's to resolve
    return Path(parsed.database)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine``; no ini file needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection_engine"] = engine
    return config


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the latest migration.

    API replicas sharing a PostgreSQL database may start together: each waits for the
    migration lock, so the first migrates and the others, reading the version after it
    committed, find nothing to do (PostgreSQL's DDL is transactional; SQLite's write lock does
    the same for one machine's processes)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
