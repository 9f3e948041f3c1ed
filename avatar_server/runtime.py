"""The long-lived objects a running server shares between requests."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from anyio import CapacityLimiter
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from avatar_server.db.check import check_database
from avatar_server.db.session import make_engine, make_sessionmaker, sqlite_path, upgrade_database
from avatar_server.security.files import create_private_once, private_folder, private_sqlite_file
from avatar_server.security.secrets import new_reset_token
from avatar_server.services.mail import Mailer
from avatar_server.services.orphans import GRACE_S, clean_orphans
from avatar_server.settings import Settings
from avatar_server.storage import Storage
from avatar_server.storage_check import check_storage

logger = logging.getLogger("avatar_server")

READ_THREADS = 4


@dataclass
class Runtime:
    """Database, storage, mailer and signing secret for one server instance."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.resolved_database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    @cached_property
    def read_threads(self) -> CapacityLimiter:
        """Threads for the reads clients poll (job status and lists). A few are enough, as each
        read takes a fraction of a millisecond; many would contend for the GIL with the event
        loop, and a burst of polls would then wait far longer (measured: p99 45-65 ms with 4,
        53-183 ms with anyio's default 40, under the load bench)."""
        return CapacityLimiter(READ_THREADS)

    @cached_property
    def storage(self) -> Storage:
        return Storage(self.settings.resolved_storage_url)

    @cached_property
    def mailer(self) -> Mailer:
        return Mailer(self.settings)

    @cached_property
    def secret_key(self) -> str:
        """``AVATAR_SECRET_KEY``, or one generated on first start and kept in a 0600 file."""
        if self.settings.secret_key is not None:
            return self.settings.secret_key.get_secret_value()
        return create_private_once(self.settings.home / "secret_key", new_reset_token())

    def start(self) -> None:
        """Prepare everything before the first request: folders, schema, storage, secret."""
        private_folder(self.settings.home, "AVATAR_HOME")
        check_database(self.settings.resolved_database_url)
        database = sqlite_path(self.settings.resolved_database_url)
        if database is not None:
            private_sqlite_file(database)
        check_storage(self.settings.resolved_storage_url)
        upgrade_database(self.engine)
        # A SQLite database and a local folder are one machine's: while it starts, no upload
        # or job of it is writing, so every orphan is a crash's leftover. Shared ones keep
        # recent orphans, which a writer elsewhere may be about to commit.
        single_machine = (
            self.settings.resolved_database_url.startswith("sqlite") and self.storage.local
        )
        with self.sessions() as db:
            clean_orphans(db, self.storage, grace_s=0 if single_machine else GRACE_S)
        _ = self.secret_key

    def stop(self) -> None:
        self.engine.dispose()
