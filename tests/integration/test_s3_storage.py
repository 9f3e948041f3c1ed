"""The storage on a real S3 server (SeaweedFS): streamed multipart writes that appear whole or
not at all, ranged reads, conditional writes, the janitor, and the start-up check's messages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from avatar_server.services.orphans import clean_orphans
from avatar_server.startup_errors import StartupError
from avatar_server.storage import Storage
from avatar_server.storage_check import PROBE_FOLDER, check_storage
from tests import storage_scenarios as scenarios
from tests.server import free_port
from tests.stack.seaweedfs import S3Server

pytestmark = pytest.mark.integration

MiB = scenarios.MiB


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The AWS variables of ``s3_server`` in this process's environment, as a server has them."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server


@pytest.fixture
def storage(s3_env: S3Server) -> Storage:
    """A storage under a prefix of its own in the bucket."""
    return Storage(s3_env.storage_url(f"test-{uuid.uuid4().hex[:12]}"))


def bucket_keys(s3: S3Server, prefix: str) -> list[str]:
    listing = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix=prefix)
    return [entry["Key"] for entry in listing.get("Contents", [])]


def multipart_uploads(s3: S3Server, prefix: str) -> list[str]:
    listing = s3.client().list_multipart_uploads(Bucket=s3.bucket, Prefix=prefix)
    return [upload["Key"] for upload in listing.get("Uploads", [])]


def prefix_of(storage: Storage) -> str:
    return storage.root.split("/", 1)[1]


def test_streamed_multipart_round_trip_and_ranged_reads(storage: Storage, s3_env: S3Server) -> None:
    key = "datasets/u/d/uploaded"
    data = scenarios.check_round_trip(storage, key, 21 * MiB + 5)
    head = s3_env.client().head_object(Bucket=s3_env.bucket, Key=f"{prefix_of(storage)}/{key}")
    # A multipart upload of 8 MiB parts: AWS-style ETag "<md5 of the part md5s>-<parts>".
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]
    assert head["ContentLength"] == len(data)
    scenarios.check_ranged_reads(storage, key, data)


def test_small_objects_are_one_request(storage: Storage, s3_env: S3Server) -> None:
    key = "results/u/j/1/f.json"
    with storage.open_write(key) as handle:
        handle.write(b"{}")
    head = s3_env.client().head_object(Bucket=s3_env.bucket, Key=f"{prefix_of(storage)}/{key}")
    assert "-" not in head["ETag"]  # a plain PutObject: no multipart below one part
    assert b"".join(storage.iter_bytes(key)) == b"{}"


def test_an_interrupted_write_leaves_no_object_and_no_upload(
    storage: Storage, s3_env: S3Server
) -> None:
    scenarios.check_interrupted_write_leaves_nothing(storage, "datasets/u/d/uploaded", 12 * MiB)
    prefix = prefix_of(storage)
    assert bucket_keys(s3_env, prefix) == []
    assert multipart_uploads(s3_env, prefix) == []  # the parts sent were aborted
    scenarios.check_existing_object_is_replaced_whole(storage, "results/u/j/figures/f.png")
    assert bucket_keys(s3_env, prefix) == [f"{prefix}/results/u/j/figures/f.png"]
    assert multipart_uploads(s3_env, prefix) == []


def test_conditional_write_is_refused_on_an_existing_key(
    storage: Storage, s3_env: S3Server
) -> None:
    key = f"{prefix_of(storage)}/fixed"
    client = s3_env.client()
    client.put_object(Bucket=s3_env.bucket, Key=key, Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket=s3_env.bucket, Key=key, Body=b"second", IfNoneMatch="*")
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    # The same through s3fs's exclusive mode, multipart included (checked at completion).
    exclusive = storage.fs.open(storage.path("fixed"), "xb")
    with pytest.raises(OSError, match="pre-conditions"), exclusive as handle:
        handle.write(os.urandom(9 * MiB))
    assert client.get_object(Bucket=s3_env.bucket, Key=key)["Body"].read() == b"first"
    # s3fs leaves the refused multipart upload behind (its docs say it aborts it): the
    # janitor's sweep of stale uploads is what removes such leftovers.
    storage.abort_stale_multipart_uploads(older_than_s=0)
    assert multipart_uploads(s3_env, key) == []


WRITER = textwrap.dedent(
    """
    import sys, time
    from avatar_server.storage import Storage
    writer = Storage(sys.argv[1]).start_write("datasets/u/d/uploaded")
    writer.write(b"x" * (9 * 1024 * 1024))  # over one part: the multipart upload begins
    writer.handle.flush()
    print("writing", flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def killed_writer(storage: Storage, s3_env: S3Server) -> Iterator[subprocess.Popen[bytes]]:
    url = f"s3://{storage.root}"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, env=os.environ.copy()
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_killed_writer_leaves_nothing_listed_and_the_janitor_aborts_its_upload(
    storage: Storage, s3_env: S3Server, killed_writer: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    assert killed_writer.stdout is not None
    assert killed_writer.stdout.readline() == b"writing\n"
    prefix = prefix_of(storage)
    assert multipart_uploads(s3_env, prefix) == [f"{prefix}/datasets/u/d/uploaded"]
    killed_writer.send_signal(signal.SIGKILL)
    killed_writer.wait()
    assert bucket_keys(s3_env, prefix) == []
    assert not storage.exists("datasets/u/d/uploaded")
    with scenarios.sqlite_sessions(tmp_path) as db:
        assert clean_orphans(db, storage, grace_s=3600) == []
        assert multipart_uploads(s3_env, prefix) != []  # too recent to be judged
        time.sleep(1.1)
        clean_orphans(db, storage, grace_s=1)
    assert multipart_uploads(s3_env, prefix) == []


def test_orphans_are_cleaned(storage: Storage, tmp_path: Path) -> None:
    with scenarios.sqlite_sessions(tmp_path) as db:
        scenarios.check_orphans_are_cleaned(storage, db)


# --- start-up check ----------------------------------------------------------------------------


def test_a_usable_bucket_passes_and_the_probe_is_erased(s3_env: S3Server) -> None:
    check_storage(s3_env.storage_url("checked"))
    check_storage(f"s3://{s3_env.bucket}")  # the bucket's root
    keys = bucket_keys(s3_env, "")
    assert not [key for key in keys if PROBE_FOLDER in key]


def test_wrong_secret_names_the_variable_and_not_the_secret(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "not-the-secret-" + uuid.uuid4().hex
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    with pytest.raises(StartupError) as refused:
        check_storage(s3_env.storage_url("x"))
    message = str(refused.value)
    assert "AWS_SECRET_ACCESS_KEY is not its secret" in message, message
    assert s3_env.access_key in message
    assert wrong not in message and s3_env.secret_key not in message


def test_unknown_access_key_names_the_variable(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "nobody")
    with pytest.raises(StartupError, match="does not know the access key nobody: check "):
        check_storage(s3_env.storage_url("x"))


def test_missing_bucket_is_named(s3_env: S3Server) -> None:
    with pytest.raises(StartupError) as refused:
        check_storage("s3://no-such-bucket/avatars")
    message = str(refused.value)
    assert "bucket 'no-such-bucket' does not exist" in message, message
    assert "create it" in message


def test_unreachable_endpoint_says_so(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    with pytest.raises(StartupError) as refused:
        check_storage(s3_env.storage_url("x"))
    message = str(refused.value)
    assert f"cannot reach the S3 endpoint {endpoint}" in message, message
    assert "AWS_ENDPOINT_URL_S3" in message


def test_no_write_permission_says_what_is_needed(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = s3_env.as_reader()
    for name, value in reader.env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(StartupError) as refused:
        check_storage(s3_env.storage_url("x"))
    message = str(refused.value)
    assert f"does not let access key {reader.access_key} write an object" in message, message
    assert reader.secret_key not in message


def test_missing_s3_support_says_what_to_install(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # what an import of an absent package does
    with pytest.raises(StartupError, match=r"pip install 'open-avatars\[s3\]'"):
        check_storage(s3_env.storage_url("x"))
