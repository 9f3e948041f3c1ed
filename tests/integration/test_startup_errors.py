"""A server pointed at an unusable database says what is wrong in one plain sentence: no
traceback, the user named, the password never shown."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from avatar_server.db.check import check_database
from avatar_server.startup_errors import StartupError
from tests.server import ServerProcess, free_port

pytestmark = pytest.mark.integration

ROLE = "avatars_app"
PASSWORD = "the-right-password-1"
WRONG = "a-wrong-password-2"


@pytest.fixture(scope="module")
def role_url(postgres_url: str) -> Iterator[str]:
    """The URL of a role that must give its password, as on a real server."""
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'"))
    url = make_url(postgres_url).set(username=ROLE, password=PASSWORD)
    yield url.render_as_string(hide_password=False)
    with engine.connect() as connection:
        connection.execute(text(f"DROP ROLE {ROLE}"))
    engine.dispose()


def _refusal(url: str) -> str:
    with pytest.raises(StartupError) as refused:
        check_database(url)
    return str(refused.value)


def _with(
    url: str,
    *,
    port: int | None = None,
    password: str | None = PASSWORD,
    database: str | None = None,
) -> str:
    """``url`` with some of its parts changed (``password=None``: none given)."""
    parsed = make_url(url)
    changed = URL.create(
        parsed.drivername,
        username=parsed.username,
        password=password,
        host=parsed.host,
        port=port or parsed.port,
        database=database or parsed.database,
    )
    return changed.render_as_string(hide_password=False)


def test_the_right_credentials_pass(role_url: str) -> None:
    check_database(role_url)


def test_a_port_nobody_listens_on(role_url: str) -> None:
    port = free_port()
    message = _refusal(_with(role_url, port=port))
    assert message.startswith(f"cannot reach PostgreSQL at 127.0.0.1:{port} (connection refused)")
    assert "is PostgreSQL running there" in message


def test_a_wrong_password_names_the_user_not_the_password(role_url: str) -> None:
    message = _refusal(_with(role_url, password=WRONG))
    assert f"refused the password of user '{ROLE}'" in message
    assert WRONG not in message and PASSWORD not in message


def test_a_missing_password(role_url: str) -> None:
    message = _refusal(_with(role_url, password=None))
    assert f"wants a password for user '{ROLE}'" in message


def test_a_missing_database(role_url: str) -> None:
    url = make_url(role_url)
    message = _refusal(_with(role_url, database="no_such_database"))
    assert (
        f"has no database 'no_such_database': create it (createdb -h 127.0.0.1 -p {url.port}"
        in message
    )
    assert PASSWORD not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql+pymysql://u:hidden-pw@db.example/x", "the 'mysql' database is not supported"),
        (
            "postgresql+pg8000://u:hidden-pw@db.example/x",
            "through the psycopg driver, not 'pg8000'",
        ),
        ("not a url hidden-pw", "AVATAR_DATABASE_URL is not a database URL"),
    ],
)
def test_urls_the_server_cannot_use(url: str, expected: str) -> None:
    message = _refusal(url)
    assert expected in message
    assert "hidden-pw" not in message


def test_a_missing_driver_names_the_extra(role_url: str) -> None:
    """psycopg made unimportable, as when the postgresql extra was not installed."""
    program = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from avatar_server.db.check import check_database\n"
        f"check_database({role_url!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode != 0
    assert "StartupError: AVATAR_DATABASE_URL names PostgreSQL, but its driver" in done.stderr
    assert "pip install 'open-avatars[postgresql]'" in done.stderr


def test_the_server_says_it_once_and_exits(role_url: str, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", database_url=_with(role_url, password=WRONG))
    with pytest.raises(RuntimeError, match="server exited at start-up"):
        server.start()
    assert server.process is not None and server.process.wait() == 2
    log = server.log()
    assert f"not starting: PostgreSQL at 127.0.0.1:{make_url(role_url).port} refused" in log
    assert "Traceback" not in log
    assert WRONG not in log
