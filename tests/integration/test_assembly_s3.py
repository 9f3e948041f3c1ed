"""Result files assembled from parts on a real S3 server (SeaweedFS): parts read by ranged
requests, the result streamed as a multipart upload, and an assembly that fails half-way
leaving neither an object nor an upload behind."""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pandas as pd
import pytest

from avatar_server.jobs.assembly import write_interleaved
from avatar_server.storage import PART_BYTES, Storage
from tests.stack.seaweedfs import S3Server
from tests.test_assembly import (
    check_same_file,
    interleave_by_hand,
    mixed_frame,
    new_writer,
    store_parts,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def storage(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """A storage under a prefix of its own in the bucket, signed in as a server is."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return Storage(s3_server.storage_url(f"test-{uuid.uuid4().hex[:12]}"))


def bucket_key(storage: Storage, key: str) -> str:
    return storage.path(key).split("/", 1)[1]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_interleaved_parts_on_s3_give_the_shuffled_tables_file(storage: Storage, fmt: str) -> None:
    sizes = [2_000, 0, 1_500, 2_500]
    frames = [mixed_frame(rows, seed, gaps_only=seed == 0) for seed, rows in enumerate(sizes)]
    keys = store_parts(storage, frames, group_rows=600)
    labels = np.random.default_rng(2).permutation(np.repeat(np.arange(len(sizes)), sizes))
    out = new_writer(storage)
    write_interleaved(out, "avatars", "t", "shuffled", fmt, keys, labels, chunk_rows=1_000)
    check_same_file(out, f"t.shuffled.{fmt}", interleave_by_hand(frames, labels), fmt)


def test_a_large_result_is_a_multipart_upload_or_nothing(
    storage: Storage, s3_server: S3Server
) -> None:
    """Ten MB of incompressible numbers: the result goes up in 8 MiB parts. An assembly that
    fails on its last chunk, after the first part went up, leaves no object and no upload."""
    rng = np.random.default_rng(0)
    names = [f"c{i}" for i in range(10)]
    frames = [pd.DataFrame(rng.normal(size=(10_000, 10)), columns=names) for _ in range(13)]
    keys = store_parts(storage, frames)
    labels = rng.permutation(np.repeat(np.arange(len(frames)), 10_000))
    rows = len(labels)
    client = s3_server.client()
    failed = new_writer(storage)
    under_way: list[str] = []

    def uploads() -> list[str]:
        prefix = bucket_key(storage, failed.prefix)
        listing = client.list_multipart_uploads(Bucket=s3_server.bucket, Prefix=prefix)
        return [upload["Key"] for upload in listing.get("Uploads", [])]

    def failing_on_the_last_chunk(start: int, stop: int) -> dict[str, np.ndarray]:
        if stop == rows and start < stop:
            under_way.extend(uploads())
            raise RuntimeError("the coordinator lost its keys")
        return {"id": np.arange(start, stop)}

    with pytest.raises(RuntimeError, match="lost its keys"):
        write_interleaved(
            failed, "avatars", "t", "s", "parquet", keys, labels, extra=failing_on_the_last_chunk
        )
    assert under_way == [bucket_key(storage, f"{failed.prefix}/t.s.parquet")]
    assert failed.files == []
    assert storage.objects(failed.prefix) == {}
    assert uploads() == []

    out = new_writer(storage)
    write_interleaved(
        out,
        "avatars",
        "t",
        "s",
        "parquet",
        keys,
        labels,
        extra=lambda a, b: {"id": np.arange(a, b)},
    )
    (entry,) = out.files
    stored = client.get_object(
        Bucket=s3_server.bucket, Key=bucket_key(storage, f"{out.prefix}/t.s.parquet")
    )
    data = stored["Body"].read()
    assert entry["size"] == len(data) > PART_BYTES
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert stored["ETag"].strip('"').endswith("-2"), stored["ETag"]  # two 8 MiB-at-most parts
    expected = interleave_by_hand(frames, labels).assign(id=np.arange(rows))
    check_same_file(out, "t.s.parquet", expected, "parquet")
