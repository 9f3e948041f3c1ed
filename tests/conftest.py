"""Fixtures: real servers on loopback, clients signed in as the admin or as fresh users."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from avatars import ApiClient, Manager
from tests.server import ServerProcess
from tests.stack.running import Stack, running_stack

ADMIN_PASSWORD = "admin-password-for-tests"
UPLOAD_LIMIT = 4 * 1024 * 1024
ROW_LIMIT = 50_000
COLUMN_LIMIT = 300


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real fixture tables, from ``AVATAR_SHARED_DATA`` (default ``../shared/data``)."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    path = Path(os.environ.get("AVATAR_SHARED_DATA", default))
    if not (path / "wbcd.csv").is_file():
        pytest.fail(f"fixture data not found in {path}: set AVATAR_SHARED_DATA", pytrace=False)
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack",
        action="store_true",
        default=False,
        help="run the session's shared server on PostgreSQL, a SeaweedFS bucket and a Dask "
        "cluster, started for the session (make test-integration)",
    )


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """PostgreSQL, SeaweedFS and Dask on loopback, for the session (``tests/stack``). Not
    under pytest's temporary folder: PostgreSQL's own user must be able to enter it."""
    workdir = Path(tempfile.mkdtemp(prefix="avatars-stack-"))
    try:
        with running_stack(workdir) as running:
            yield running
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """The shared server of the test session, with small limits so limit tests stay fast;
    with ``--stack``, on PostgreSQL, S3 and Dask."""
    settings: dict[str, str | float] = {
        "admin_password": ADMIN_PASSWORD,
        "max_upload_bytes": UPLOAD_LIMIT,
        "max_rows": ROW_LIMIT,
        "max_columns": COLUMN_LIMIT,
    }
    environment: dict[str, str] = {}
    if request.config.getoption("--stack"):
        running: Stack = request.getfixturevalue("stack")
        settings.update(running.server_settings("shared"))
        environment = running.env()
    process = ServerProcess(tmp_path_factory.mktemp("server") / "home", **settings)
    process.env.update(environment)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def admin(server: ServerProcess) -> Iterator[ApiClient]:
    with ApiClient(server.base_url) as client:
        client.authenticate("admin", ADMIN_PASSWORD)
        yield client


def new_user(server: ServerProcess, prefix: str = "user") -> ApiClient:
    """A new user of ``server`` as a signed-in client (the caller closes it): built from a
    signed-in client, so no AVATAR_* variable of the developer's shell can redirect it."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    with ApiClient(server.base_url) as admin:
        admin.authenticate("admin", ADMIN_PASSWORD)
        admin.users.create_user(name, f"{name}@example.org", f"pw-{name}")
    client = ApiClient(server.base_url)
    client.authenticate(name, f"pw-{name}")
    return client


@pytest.fixture
def make_user(server: ServerProcess) -> Iterator[Callable[[], ApiClient]]:
    """Create users on demand, each returned as a signed-in client."""
    clients: list[ApiClient] = []

    def make() -> ApiClient:
        clients.append(new_user(server))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


CLIENT_ENV = (
    "AVATAR_BASE_URL",
    "AVATAR_API_KEY",
    "AVATAR_TIMEOUT",
    "AVATAR_SHOULD_VERIFY_SSL",
    "AVATAR_VERIFY_COMPATIBILITY",
    "AVATAR_BASE_API_URL",
    "AVATAR_STORAGE_ENDPOINT_URL",
)
"""The variables the client reads its settings from."""


@pytest.fixture
def client_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray client settings from the developer's shell; no progress bars in the logs."""
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AVATAR_PROGRESS", "0")


@pytest.fixture(scope="module")
def module_manager(server: ServerProcess) -> Iterator[Manager]:
    """A fresh user's manager shared by the tests of one module."""
    client = new_user(server, "module")
    yield Manager(api_client=client)
    client.close()


@pytest.fixture
def user(make_user: Callable[[], ApiClient]) -> ApiClient:
    return make_user()
