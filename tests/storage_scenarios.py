"""What every storage backend must do, written once: run on a local folder by
``tests/test_storage.py`` and on S3 (SeaweedFS) by ``tests/integration/test_s3_storage.py``."""

from __future__ import annotations

import gc
import hashlib
import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from avatar_server.db.models import Dataset, DatasetFormat, Job, JobStatus, ResourceSet, User
from avatar_server.db.session import make_engine, make_sessionmaker, upgrade_database
from avatar_server.services.orphans import clean_orphans
from avatar_server.storage import CHUNK_BYTES, Storage

MiB = 1024 * 1024


class Interrupted(Exception):
    """Raised inside a write, as a cut request or a failing step would."""


def write_streamed(storage: Storage, key: str, size: int) -> bytes:
    """Write ``size`` random bytes to ``key`` 1 MiB at a time; the bytes written."""
    data = os.urandom(size)
    with storage.open_write(key) as handle:
        for start in range(0, size, MiB):
            handle.write(data[start : start + MiB])
    return data


def check_round_trip(storage: Storage, key: str, size: int) -> bytes:
    data = write_streamed(storage, key, size)
    digest = hashlib.sha256()
    chunks = 0
    for chunk in storage.iter_bytes(key):
        assert len(chunk) <= CHUNK_BYTES
        digest.update(chunk)
        chunks += 1
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert chunks == -(-size // CHUNK_BYTES)
    return data


def check_ranged_reads(storage: Storage, key: str, data: bytes) -> None:
    """Reads at offsets across part boundaries return exactly those bytes."""
    with storage.open_read(key) as handle:
        for offset, length in ((0, 10), (8 * MiB - 5, 10), (len(data) - 3, 3), (1234567, MiB)):
            handle.seek(offset)
            assert handle.read(length) == data[offset : offset + length], offset
        handle.seek(len(data))
        assert handle.read(10) == b""


def check_interrupted_write_leaves_nothing(storage: Storage, key: str, size: int) -> None:
    with pytest.raises(Interrupted), storage.open_write(key) as handle:
        for _ in range(size // MiB):
            handle.write(os.urandom(MiB))
        raise Interrupted
    assert not storage.exists(key)
    folder = key.rsplit("/", 1)[0]
    assert storage.objects(folder) == {}


def check_existing_object_is_replaced_whole(storage: Storage, key: str) -> None:
    """A write over an existing key (a figure drawn twice) leaves the old object until the new
    one is complete, and the old one when the new write is interrupted or abandoned."""
    with storage.open_write(key) as handle:
        handle.write(b"old")
    with pytest.raises(Interrupted), storage.open_write(key) as handle:
        handle.write(b"new, interrupted")
        raise Interrupted
    abandoned = storage.start_write(key)
    abandoned.write(b"never committed")
    del abandoned  # neither committed nor aborted: dropped, never committed by the collector
    gc.collect()
    with storage.open_read(key) as handle:
        assert handle.read() == b"old"


def sqlite_sessions(folder: Path) -> Session:
    engine = make_engine(f"sqlite:///{folder / 'janitor.db'}")
    upgrade_database(engine)
    return make_sessionmaker(engine)()


def check_orphans_are_cleaned(storage: Storage, db: Session) -> None:
    """The janitor erases what no row points to, once older than the grace period, and keeps
    every object a row points to and every prefix it does not own."""
    user = User(username=f"u{uuid.uuid4().hex[:8]}", email=f"{uuid.uuid4().hex}@x.org")
    user.password_hash = "x"
    db.add(user)
    db.flush()
    resources = ResourceSet(user_id=user.id, display_name="run", yaml="")
    db.add(resources)
    db.flush()

    def dataset(key: str) -> None:
        db.add(
            Dataset(
                user_id=user.id,
                name="d",
                format=DatasetFormat.CSV,
                storage_key=key,
                size_bytes=1,
                sha256="0" * 64,
                rows=1,
                column_count=1,
                columns=[],
            )
        )

    def job(name: str, status: JobStatus, attempts: list[int]) -> None:
        results = [{"attempt": a, "name": "f.csv"} for a in attempts]
        db.add(
            Job(
                name=name,
                user_id=user.id,
                set_name=resources.id,
                display_name="run",
                parameters_name="p",
                kind="standard",
                status=status,
                results=results or None,
            )
        )

    kept_dataset = f"datasets/{user.id}/{uuid.uuid4()}/uploaded"
    legacy_dataset = f"datasets/{user.id}/{uuid.uuid4()}.csv"
    orphan_dataset = f"datasets/{user.id}/{uuid.uuid4()}/uploaded"
    dataset(kept_dataset)
    dataset(legacy_dataset)
    job("job-done", JobStatus.DONE, [2])
    job("job-running", JobStatus.RUNNING, [])
    job("job-failed", JobStatus.FAILED, [])
    db.commit()
    results = f"results/{user.id}"
    kept = [
        kept_dataset,
        legacy_dataset,
        f"{results}/job-done/2/f.csv",
        f"{results}/job-done/figures/{'a' * 64}.png",
        f"{results}/job-running/1/f.csv",
        "elsewhere/not-the-janitors.bin",
    ]
    orphans = [
        orphan_dataset,
        f"{results}/job-done/1/f.csv",  # an earlier attempt, never committed
        f"{results}/job-failed/1/f.csv",
        f"{results}/job-deleted/3/f.csv",  # a job whose row is gone
        f"{results}/job-deleted/figures/{'b' * 64}.png",
        f"tmp/{uuid.uuid4().hex}",  # an earlier version's temporary upload
    ]
    for key in kept + orphans:
        with storage.open_write(key) as handle:
            handle.write(b"x")

    assert clean_orphans(db, storage, grace_s=3600) == []  # all too recent to be judged
    assert all(storage.exists(key) for key in kept + orphans)
    time.sleep(1.1)  # S3 times are to the second
    erased = clean_orphans(db, storage, grace_s=1)
    assert sorted(erased) == sorted(
        [
            f"datasets/{user.id}/{orphan_dataset.split('/')[2]}",
            f"{results}/job-done/1",
            f"{results}/job-failed/1",
            f"{results}/job-deleted/3",
            f"{results}/job-deleted/figures",
            orphans[-1],
        ]
    )
    assert [key for key in orphans if storage.exists(key)] == []
    assert [key for key in kept if not storage.exists(key)] == []
    assert clean_orphans(db, storage, grace_s=0) == []
