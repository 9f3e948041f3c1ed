"""Fixtures of the integration suite: the services of ``tests/stack``, started once per
session and in parallel by the root conftest's ``stack`` fixture."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.stack.dask_cluster import DaskCluster
from tests.stack.postgres import fresh_database
from tests.stack.running import Stack
from tests.stack.seaweedfs import S3Server


@pytest.fixture(scope="session")
def postgres_url(stack: Stack) -> str:
    """The URL of an empty database on the session's PostgreSQL cluster."""
    return stack.database_url


@pytest.fixture
def empty_postgres_url(postgres_url: str) -> str:
    """A database of the test's own on the session's cluster: its schema starts empty."""
    return fresh_database(postgres_url, f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend, for what must behave alike on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'avatars.db'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


@pytest.fixture(scope="session")
def s3_server(stack: Stack) -> S3Server:
    """The session's SeaweedFS S3 server with its bucket."""
    return stack.s3


@pytest.fixture(scope="session")
def dask(stack: Stack) -> DaskCluster:
    """The session's Dask scheduler and two workers."""
    return stack.cluster
