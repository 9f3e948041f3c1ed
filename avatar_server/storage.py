"""Object storage through fsspec: a local folder by default, or S3 (``s3://bucket/prefix``).

Every object is written once, streamed, at its final key, and appears there whole when its
writer commits, or never: on S3 a write is a multipart upload (an object exists only once
``CompleteMultipartUpload`` succeeds), in a folder it is a hidden sibling file renamed over
the key (``os.replace`` is atomic). Nothing is ever moved: S3 has no rename (``fs.mv`` is a
copy and a delete, neither atomic nor cheap). Callers write under a key no one else uses (a new
dataset's or job attempt's own prefix) and make it visible by committing the database row that
points to it; what no row points to is an orphan, erased by ``services.orphans``.

A local folder holds personal data: its root is made 0700 (tightened, with a warning, if others
could open it), and every object in it is created 0600 in folders created 0700, whatever the
process's umask (see :mod:`avatar_server.security.files`). Other protocols have their own access
control.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import fsspec
from fsspec.core import split_protocol, url_to_fs
from fsspec.implementations.local import LocalFileSystem

from avatar_server.security.files import create_private_folders, open_private, private_folder

CHUNK_BYTES = 1024 * 1024
PART_BYTES = 8 * 1024 * 1024
"""S3 multipart part size, and the size of each ranged read. S3 refuses parts under 5 MiB (but
the last) and allows 10,000 parts: 8 MiB parts take objects up to 78 GiB, far above the upload
limit, while a write holds at most one part and its copy in memory (about 16 MiB) and a read
one part. Larger parts save little: a part is about 0.1 s of transfer here, far above the
per-request cost."""
PARTIAL_SUFFIX = ".partial"
"""Ends the hidden name a local write uses until it commits (``.<name>.<random>.partial``)."""
TEMPORARY_PREFIX = "tmp"
"""Where earlier versions wrote uploads before moving them; only crash leftovers remain."""

S3_PROTOCOLS = ("s3", "s3a")


def storage_options(url: str) -> dict[str, Any]:
    """The fsspec options of ``url``'s filesystem.

    S3 listings are not cached: other processes (workers, API replicas) write and erase
    objects, and a cached listing would hide them. Endpoint and credentials come from the
    standard ``AWS_*`` variables, read by botocore.
    """
    protocol, _ = split_protocol(url)
    if protocol in S3_PROTOCOLS:
        return {"use_listings_cache": False, "default_block_size": PART_BYTES}
    return {}


def modified_at(info: dict[str, Any]) -> float:
    """An object's modification time (seconds since the epoch) from an fsspec listing entry."""
    if "mtime" in info:  # a local file
        return float(info["mtime"])
    stamp = info.get("LastModified")
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return time.time()  # unknown: counted as new, so never erased as stale


class ObjectWriter:
    """A streamed write of one object, visible at its key only after :meth:`commit`."""

    def __init__(self, storage: Storage, key: str) -> None:
        self._finished = True  # until the file is open: nothing to abort
        self.path = storage.path(key)
        self.local = storage.local
        self._partial: Path | None = None
        if self.local:
            folder, name = self.path.rsplit("/", 1)
            create_private_folders(Path(folder))
            self._partial = Path(folder) / f".{name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
            self.handle: IO[bytes] = open(open_private(self._partial), "wb")  # noqa: SIM115
        else:
            self.handle = storage.fs.open(self.path, "wb", block_size=PART_BYTES)
        self._finished = False

    def write(self, data: bytes) -> int:
        return self.handle.write(data)

    def commit(self) -> None:
        """Finish the object: the last part and ``CompleteMultipartUpload``, or the rename."""
        self._finished = True
        try:
            self.handle.close()
            if self._partial is not None:
                os.replace(self._partial, self.path)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        if self._partial is not None:
            self._partial.unlink(missing_ok=True)
            return
        with suppress(Exception):  # the janitor aborts a multipart upload left behind
            getattr(self.handle, "discard", lambda: None)()

    def abort(self) -> None:
        """Drop what was written: the key stays as it was (absent, for a new key)."""
        self._finished = True
        if self._partial is not None:
            self.handle.close()
        else:
            # fsspec's close() would commit what was buffered: mark the file closed so nothing
            # commits it, and discard the buffer and the multipart upload instead.
            self.handle.closed = True  # type: ignore[misc]
        self._drop()

    def __del__(self) -> None:
        # A writer dropped unfinished (an error path that forgot it) is aborted: fsspec's own
        # file would otherwise commit its buffered bytes when collected.
        if not self._finished:
            self.abort()


class Storage:
    """A key -> bytes store rooted at ``url``."""

    def __init__(self, url: str) -> None:
        fs, root = url_to_fs(url, **storage_options(url))
        self.fs: fsspec.AbstractFileSystem = fs
        self.root: str = root.rstrip("/")
        self.local = isinstance(fs, LocalFileSystem)
        if self.local:
            private_folder(Path(self.root), "the storage folder")

    def path(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid storage key {key!r}")
        return f"{self.root}/{key}"

    def key_of(self, path: str) -> str:
        """The key of a path a listing gave (the inverse of :meth:`path`)."""
        return path.removeprefix(f"{self.root}/")

    def start_write(self, key: str) -> ObjectWriter:
        return ObjectWriter(self, key)

    @contextmanager
    def open_write(self, key: str) -> Iterator[IO[bytes]]:
        """Stream an object to ``key``: it appears whole when the block ends, and not at all
        if the block raises."""
        writer = self.start_write(key)
        try:
            yield writer.handle
        except BaseException:
            writer.abort()
            raise
        writer.commit()

    @contextmanager
    def open_read(self, key: str, *, exact: bool = False) -> Iterator[IO[bytes]]:
        """A seekable reader; on S3 it fetches ranges of :data:`PART_BYTES` as it goes, or with
        ``exact`` just the bytes each read asks for (no read-ahead): for a reader that knows
        where its bytes are, as Parquet's does for a column chunk (a column read through 8 MiB
        blocks would fetch 8 MiB per row group)."""
        if exact:
            with self.fs.open(self.path(key), "rb", cache_type="none") as handle:
                yield handle
            return
        with self.fs.open(self.path(key), "rb", block_size=PART_BYTES) as handle:
            yield handle

    def iter_bytes(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        with self.open_read(key) as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk

    def delete(self, key: str) -> None:
        with suppress(FileNotFoundError):
            self.fs.rm(self.path(key))

    def delete_tree(self, prefix: str) -> None:
        """Remove every object under ``prefix`` (a dataset's, a job's or an attempt's)."""
        with suppress(FileNotFoundError):
            self.fs.rm(self.path(prefix), recursive=True)

    def children(self, prefix: str) -> list[str]:
        """The names directly under ``prefix`` (none if it does not exist)."""
        try:
            entries = self.fs.ls(self.path(prefix), detail=False)
        except FileNotFoundError:
            return []
        return [entry.rstrip("/").rsplit("/", 1)[-1] for entry in entries]

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self.path(key)))

    def objects(self, prefix: str) -> dict[str, float]:
        """Every object under ``prefix`` (its key) with its modification time; one listing on
        S3, however many objects."""
        try:
            found = self.fs.find(self.path(prefix), detail=True)
        except FileNotFoundError:
            return {}
        return {self.key_of(path): modified_at(info) for path, info in found.items()}

    def abort_stale_multipart_uploads(self, older_than_s: float) -> int:
        """Abort the multipart uploads under the root begun more than ``older_than_s`` ago: a
        writer killed mid-object leaves its parts stored (unlisted, but paid for). A lifecycle
        rule on the bucket does the same; this needs none. Returns how many were aborted."""
        if self.local:
            return 0
        bucket, _, prefix = self.root.partition("/")
        cutoff = time.time() - older_than_s
        aborted = 0
        marker: dict[str, str] = {}
        while True:
            listing = self.fs.call_s3(
                "list_multipart_uploads", Bucket=bucket, Prefix=prefix, **marker
            )
            for upload in listing.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    self.fs.call_s3(
                        "abort_multipart_upload",
                        Bucket=bucket,
                        Key=upload["Key"],
                        UploadId=upload["UploadId"],
                    )
                    aborted += 1
            if not listing.get("IsTruncated"):
                return aborted
            marker = {
                "KeyMarker": listing["NextKeyMarker"],
                "UploadIdMarker": listing["NextUploadIdMarker"],
            }
