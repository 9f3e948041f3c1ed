"""Files under ``AVATAR_HOME`` and in local storage: owner-only, whatever the umask.

The database holds usernames, password hashes and emails; storage holds the uploaded tables and
their results. Every file the server creates is 0600 and every folder 0700: each server process
sets its umask to 0o077 as it starts (:func:`restrict_umask`), and what is created where the
umask may be another (the embedded server runs in the user's own process, whose umask is left
alone) gets its mode explicitly. A folder given to the server that others can read (an existing
``AVATAR_HOME``, a local storage folder) is tightened to 0700 with a warning; one the server
cannot tighten (another user's) stops it at start-up (:class:`UnsafeFolderError`).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger("avatar_server")

PRIVATE_UMASK = 0o077
FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps next to a database: it creates them with the database file's mode."""


class UnsafeFolderError(RuntimeError):
    """A folder others can read that the server cannot make private: it refuses to start."""


def restrict_umask() -> None:
    """Make every file and folder this process creates from now on its owner's only (the
    usual umask, 0o022, leaves them readable by every local user). Child processes inherit it."""
    os.umask(PRIVATE_UMASK)


def create_private_folders(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700 (folders that exist are left as they
    are: :func:`private_folder` is for the roots)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it first
        os.chmod(folder, FOLDER_MODE)


def private_folder(path: Path, what: str) -> None:
    """``path`` as a folder only its owner can open: created 0700, or tightened to 0700 (with a
    warning naming it and its former mode) when group or others had any access to it.

    Raises :class:`UnsafeFolderError` when it cannot be tightened (another user's folder).
    """
    create_private_folders(path)
    status = path.stat()
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o077:
        return
    try:
        os.chmod(path, FOLDER_MODE)
    except PermissionError:
        raise UnsafeFolderError(
            f"{what} {path} is open to other users (mode {mode:04o}) and the server cannot "
            f"make it private: it belongs to uid {status.st_uid}, the server runs as uid "
            f"{os.getuid()}. Run 'chmod 700 {path}' as its owner, or choose another folder."
        ) from None
    logger.warning(
        "%s %s was mode %04o, open to other users; it is now %04o", what, path, mode, FOLDER_MODE
    )


def open_private(path: Path) -> int:
    """A descriptor writing ``path`` from its start, the file created or made 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def private_sqlite_file(path: Path) -> None:
    """The SQLite database at ``path`` 0600, with its journal, WAL and shared-memory files.

    The database is created empty (a valid SQLite database) before SQLite would create it with
    the umask's mode, so that the WAL and SHM files, which take its mode, are 0600 too; files
    left by an earlier version are tightened."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        if file.exists() and stat.S_IMODE(file.stat().st_mode) != FILE_MODE:
            os.chmod(file, FILE_MODE)


def write_private(path: Path, content: str, *, append: bool = False) -> None:
    """Write ``content`` to ``path`` with mode 0600, creating parent folders as 0700."""
    create_private_folders(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, content.encode("utf-8"))
    finally:
        os.close(fd)


def create_private_once(path: Path, content: str) -> str:
    """Create ``path`` with ``content`` unless it exists; return what the file holds.

    ``O_EXCL`` makes two processes starting together agree on one value.
    """
    create_private_folders(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, content.encode("utf-8"))
    finally:
        os.close(fd)
    return content
