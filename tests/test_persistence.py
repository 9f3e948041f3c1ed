"""What must survive a restart, and what must be on disk: migrations, secrets, tokens."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from avatar_server.db.models import Base
from avatars import ApiClient
from tests.server import ServerProcess


@pytest.fixture(scope="module")
def generated_admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server started with no admin password and no secret key configured."""
    process = ServerProcess(tmp_path_factory.mktemp("restart") / "home")
    process.start()
    yield process
    process.stop()


def _admin_password(server: ServerProcess) -> str:
    return (server.home / "admin_password").read_text().strip()


def test_first_start_writes_private_secret_files(generated_admin_server: ServerProcess) -> None:
    home = generated_admin_server.home
    for name in ("admin_password", "secret_key"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
    password = _admin_password(generated_admin_server)
    log = generated_admin_server.log()
    assert str(home / "admin_password") in log
    assert password not in log
    assert (home / "secret_key").read_text().strip() not in log


def test_tokens_and_keys_survive_a_restart(
    generated_admin_server: ServerProcess, tmp_path: Path
) -> None:
    server = generated_admin_server
    client = ApiClient(server.base_url)
    client.authenticate("admin", _admin_password(server))
    key = client.api_keys.create_api_key("restart").key
    dataset = client.datasets.upload_dataset(io.BytesIO(b"a,b\n1,2\n"), name="kept")
    server.restart()
    assert client.users.get_me().username == "admin"
    with ApiClient(server.base_url, api_key=key) as keyed:
        assert keyed.users.get_me().username == "admin"
        copy = keyed.datasets.download_dataset(dataset.id, tmp_path / "kept.csv")
    assert copy.read_bytes() == b"a,b\n1,2\n"
    client.close()


# SQLite cannot reflect expression indexes, so autogenerate skips them (and says so); the one
# there is, on lower(username), is compared by hand below.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_match_the_models(generated_admin_server: ServerProcess) -> None:
    engine = create_engine(f"sqlite:///{generated_admin_server.home / 'avatars.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, Base.metadata) == []
        created = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'uq_users_lower_username'")
        ).scalar_one()
    engine.dispose()
    assert "UNIQUE INDEX" in created and "lower(username)" in created
