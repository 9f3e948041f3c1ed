"""A real server whose storage is an S3 bucket (SeaweedFS): the client's whole flow, then
erasure, looked at in the bucket itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from avatar_yaml import JobKind
from avatars import Manager
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess
from tests.stack.seaweedfs import S3Server

pytestmark = pytest.mark.integration


def bucket_keys(s3: S3Server, prefix: str) -> list[str]:
    listing = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix=prefix)
    return sorted(entry["Key"] for entry in listing.get("Contents", []))


def server_on(s3: S3Server, home: Path, prefix: str) -> ServerProcess:
    server = ServerProcess(
        home, storage_url=s3.storage_url(prefix), admin_password=ADMIN_PASSWORD, workers=1
    )
    server.env.update(s3.env())
    return server


@pytest.fixture
def s3_server_process(s3_server: S3Server, tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    prefix = f"server-{uuid.uuid4().hex[:12]}"
    server = server_on(s3_server, tmp_path / "home", prefix)
    server.start()
    try:
        yield server, prefix
    finally:
        server.stop()


def test_upload_avatarize_download_and_erase_on_s3(
    s3_server: S3Server,
    s3_server_process: tuple[ServerProcess, str],
    shared_data: Path,
    tmp_path: Path,
) -> None:
    server, prefix = s3_server_process
    manager = Manager(base_url=server.base_url)
    manager.authenticate("admin", ADMIN_PASSWORD)
    client = manager.auth_client
    runner = manager.create_runner("iris_on_s3", seed=3)
    runner.add_table("iris", shared_data / "iris.csv")
    runner.set_parameters("iris", k=5)
    runner.run(jobs_to_run=[JobKind.STANDARD])
    avatars = runner.shuffled("iris")
    assert len(avatars) == 150

    (dataset,) = client.datasets.list_datasets()
    me = client.users.get_me().id
    uploaded = f"{prefix}/datasets/{me}/{dataset.id}/uploaded"
    typed = f"{prefix}/datasets/{me}/{dataset.id}/table.parquet"  # the jobs' typed copy
    assert bucket_keys(s3_server, f"{prefix}/datasets/") == [typed, uploaded]
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key=uploaded)
    assert head["ContentLength"] == (shared_data / "iris.csv").stat().st_size
    copy = client.datasets.download_dataset(dataset.id, tmp_path / "iris.csv")
    assert copy.read_bytes() == (shared_data / "iris.csv").read_bytes()
    results = bucket_keys(s3_server, f"{prefix}/results/{me}/")
    files = runner.result_files(JobKind.STANDARD)
    assert len(results) == len(files) > 0
    assert bucket_keys(s3_server, prefix) == sorted([typed, uploaded, *results])  # nothing else

    runner.delete()
    client.datasets.delete_dataset(dataset.id)
    assert client.datasets.list_datasets() == []
    assert bucket_keys(s3_server, prefix) == []


def test_a_server_with_a_wrong_secret_refuses_to_start_and_says_why(
    s3_server: S3Server, tmp_path: Path
) -> None:
    server = server_on(s3_server, tmp_path / "home", "refused")
    server.env["AWS_SECRET_ACCESS_KEY"] = "wrong-" + uuid.uuid4().hex
    with pytest.raises(RuntimeError, match="exited at start-up") as refused:
        server.start()
    message = str(refused.value)
    assert "AWS_SECRET_ACCESS_KEY is not its secret" in message
    assert server.env["AWS_SECRET_ACCESS_KEY"] not in message
    assert "Traceback" not in message  # said once, plainly
