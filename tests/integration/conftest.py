"""Fixtures of the integration suite: services started by ``tests/stack`` once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack.seaweedfs import S3Server, seaweedfs


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A SeaweedFS S3 server with its bucket, for the whole session."""
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server
