"""What the tests run in child processes, as separate server processes would: claiming jobs,
migrating at start-up. A module of its own, importing no more than a server process does."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from avatar_server.db.session import make_engine, make_sessionmaker, upgrade_database
from avatar_server.jobs import state

LEASE_S = 60.0


def claim_everything(url: str, threads: int) -> list[str]:
    """What ``threads`` threads of this process claimed before the queue ran dry."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    worker = f"claimer-{uuid.uuid4().hex[:8]}"

    def claim_until_empty() -> list[str]:
        taken = []
        with sessions() as db:
            while (job := state.claim(db, worker, LEASE_S)) is not None:
                taken.append(job.name)
        return taken

    try:
        with ThreadPoolExecutor(threads) as pool:
            parts = [pool.submit(claim_until_empty) for _ in range(threads)]
            return [name for part in parts for name in part.result()]
    finally:
        engine.dispose()


def migrate_at(url: str, start: float) -> None:
    """Upgrade the database at ``url`` from ``start`` (``time.time()``), like a server starting."""
    engine = make_engine(url)
    try:
        time.sleep(max(0.0, start - time.time()))
        upgrade_database(engine)
    finally:
        engine.dispose()
