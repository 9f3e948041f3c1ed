"""The real server on PostgreSQL: the multi-process suite, a run through the client, and the
sign-in limiter, on databases of their own on the session's cluster.

The limiter's and the multi-process tests are the default suite's own
(``tests.test_authorization``, ``tests.test_multiprocess``), collected here a second time with
their database fixtures pointing at PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from avatars import Manager
from tests import test_authorization as sign_in_limits
from tests import test_multiprocess as multiprocess
from tests.integration.job_rows import migrated
from tests.server import ServerProcess, wait_until
from tests.stack.postgres import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``tests.test_multiprocess``'s server, on a PostgreSQL database of its own, shared by the
    module's tests (each start of a server of several processes costs seconds). The test that
    stops and restarts it, and counts its users, runs first."""
    server = ServerProcess(
        tmp_path_factory.mktemp("on-postgresql") / "home",
        database_url=fresh_database(postgres_url, "multi_process"),
        admin_password=multiprocess.ADMIN_PASSWORD,
        api_processes=2,
        workers=1,
        login_attempts_per_minute_per_user=multiprocess.PER_USER,
    )
    server.start()
    wait_until(
        lambda: len(multiprocess.children(server, multiprocess.HTTP)) == 2,
        what="two HTTP processes",
    )
    yield server
    server.stop()


test_children_end_with_the_supervisor = multiprocess.test_children_end_with_the_supervisor
test_serves_jobs_and_shares_state_across_processes = (
    multiprocess.test_serves_jobs_and_shares_state_across_processes
)
test_a_dead_http_process_is_replaced = multiprocess.test_a_dead_http_process_is_replaced


def test_a_run_on_postgresql(server: ServerProcess, shared_data: Path) -> None:
    manager = Manager(base_url=server.base_url)
    manager.authenticate("admin", multiprocess.ADMIN_PASSWORD)
    runner = manager.create_runner("iris")
    runner.add_table("iris", str(shared_data / "iris.csv"))
    runner.set_parameters("iris", k=10)
    runner.run(jobs_to_run=["standard"])
    avatars = runner.shuffled("iris")
    manager.auth_client.close()
    original = pd.read_csv(shared_data / "iris.csv")
    assert avatars.shape == original.shape
    assert list(avatars.columns) == list(original.columns)
    # The server kept its state in PostgreSQL, not in a SQLite file of its home.
    assert not (server.home / "avatars.db").exists()
    engine = create_engine(server.env["AVATAR_DATABASE_URL"], poolclass=NullPool)
    try:
        with engine.connect() as connection:
            done = connection.execute(
                text("SELECT kind FROM jobs WHERE display_name = 'iris' AND status = 'done'")
            )
            assert [kind for (kind,) in done] == ["standard"]
    finally:
        engine.dispose()


# -- the sign-in limiter, from tests.test_authorization ---------------------------------------


@pytest.fixture
def engine(empty_postgres_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database of the test's own, as a server uses."""
    with migrated(empty_postgres_url) as (engine, _sessions):
        yield engine


test_sliding_window_arithmetic = sign_in_limits.test_sliding_window_arithmetic
test_limits_are_shared_by_every_limiter_of_the_database = (
    sign_in_limits.test_limits_are_shared_by_every_limiter_of_the_database
)
test_concurrent_attempts_cannot_slip_past_the_limit = (
    sign_in_limits.test_concurrent_attempts_cannot_slip_past_the_limit
)
test_expired_entries_are_swept_and_keys_stored_as_digests = (
    sign_in_limits.test_expired_entries_are_swept_and_keys_stored_as_digests
)
