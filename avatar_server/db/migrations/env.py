"""Alembic environment: runs on the connection handed over by the server (or a URL for CLI use)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from avatar_server.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no connection given to the migrations and no sqlalchemy.url set")
        with create_engine(url).begin() as own_connection:
            _configure_and_run(own_connection)
    else:
        _configure_and_run(connection)


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
