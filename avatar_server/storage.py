"""Object storage through fsspec: a local folder by default, any fsspec URL (s3://...) later.

Writes go to a temporary key first; :meth:`Storage.publish` moves them to their final key only
once the caller is about to commit the database row that references them, so a reader never
sees a half-written object.

A local folder holds personal data: its root is made 0700 (tightened, with a warning, if others
could open it), and every object in it is created 0600 in folders created 0700, whatever the
process's umask (see :mod:`avatar_server.security.files`). Other protocols have their own access
control.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import fsspec
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from avatar_server.security.files import create_private_folders, open_private, private_folder

CHUNK_BYTES = 1024 * 1024
_TMP_PREFIX = "tmp"


class Storage:
    """A key -> bytes store rooted at ``url``."""

    def __init__(self, url: str) -> None:
        fs, root = url_to_fs(url)
        self.fs: fsspec.AbstractFileSystem = fs
        self.root = root.rstrip("/")
        self.local = isinstance(fs, LocalFileSystem)
        if self.local:
            private_folder(Path(self.root), "the storage folder")
        else:
            self.fs.makedirs(self.root, exist_ok=True)

    def _make_folder(self, path: str) -> None:
        if self.local:
            create_private_folders(Path(path))
        else:
            self.fs.makedirs(path, exist_ok=True)

    def _path(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid storage key {key!r}")
        return f"{self.root}/{key}"

    def new_temp_key(self) -> str:
        return f"{_TMP_PREFIX}/{uuid.uuid4().hex}"

    @contextmanager
    def open_write(self, key: str) -> Iterator[IO[bytes]]:
        path = self._path(key)
        self._make_folder(path.rsplit("/", 1)[0])
        if self.local:
            with open(open_private(Path(path)), "wb") as private:
                yield private
            return
        with self.fs.open(path, "wb") as handle:
            yield handle

    @contextmanager
    def open_read(self, key: str) -> Iterator[IO[bytes]]:
        with self.fs.open(self._path(key), "rb") as handle:
            yield handle

    def iter_bytes(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        with self.open_read(key) as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk

    def publish(self, temp_key: str, final_key: str) -> None:
        """Move a fully written temporary object to its final key."""
        final = self._path(final_key)
        self._make_folder(final.rsplit("/", 1)[0])
        self.fs.mv(self._path(temp_key), final)

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self.fs.exists(path):
            self.fs.rm(path)

    def delete_tree(self, prefix: str) -> None:
        """Remove every object under ``prefix`` (a job's results)."""
        path = self._path(prefix)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def children(self, prefix: str) -> list[str]:
        """The names directly under ``prefix`` (none if it does not exist)."""
        path = self._path(prefix)
        if not self.fs.exists(path):
            return []
        return [entry.rstrip("/").rsplit("/", 1)[-1] for entry in self.fs.ls(path, detail=False)]

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def clear_stale_temporary(self, older_than_s: float = 3600) -> None:
        """Drop temporary objects a crash left behind; recent ones may belong to a live upload."""
        path = self._path(_TMP_PREFIX)
        if not self.fs.exists(path):
            return
        cutoff = time.time() - older_than_s
        for entry in self.fs.ls(path, detail=False):
            if self.fs.modified(entry).timestamp() < cutoff:
                self.fs.rm(entry, recursive=True)
