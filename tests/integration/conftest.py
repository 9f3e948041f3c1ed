"""Fixtures of the integration suite: services started by ``tests/stack`` once per session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.stack.postgres import fresh_database, postgres
from tests.stack.seaweedfs import S3Server, seaweedfs


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database on a PostgreSQL cluster started for this session."""
    with postgres(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture
def empty_postgres_url(postgres_url: str) -> str:
    """A database of the test's own on the session's cluster: its schema starts empty."""
    return fresh_database(postgres_url, f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A SeaweedFS S3 server with its bucket, for the whole session."""
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server
