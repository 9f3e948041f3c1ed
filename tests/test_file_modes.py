"""The server's files are its user's only: every file 0600 and every folder 0700, whatever the
umask, in an ``AVATAR_HOME`` and a local storage folder that existed before it, open to all.

The server is started under umask 0o022 (files 0644, folders 0755 unless set explicitly) over a
home and a storage folder both created 0755 beforehand. It tightens both to 0700 with a warning
naming each; then a table is uploaded (CSV and Parquet), a run goes through all its jobs up to
an HTML report, a password reset mail reaches the outbox, and every file and folder under both
is checked: the database and its WAL and SHM files, the secret key, the outbox, the datasets,
the results and the report.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from avatar_yaml import (
    AvatarizationParameters,
    Config,
    ReportFormat,
    ReportLanguage,
    ReportType,
    report_name,
)
from avatars import ApiClient
from avatars.local import start_embedded_server
from tests.conftest import ADMIN_PASSWORD
from tests.server import ServerProcess, wait_for_status, wait_until

OPEN_UMASK = 0o022


def modes(root: Path) -> dict[str, str]:
    """The mode of ``root`` and of everything under it, as octal strings, by relative path."""
    found = {".": f"{stat.S_IMODE(root.stat().st_mode):04o}"}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = f"{stat.S_IMODE(path.lstat().st_mode):04o}"
    return found


def not_private(root: Path) -> dict[str, str]:
    """What under ``root`` is not 0700 (a folder) or 0600 (a file)."""
    return {
        name: mode
        for name, mode in modes(root).items()
        if mode != ("0700" if (root / name).is_dir() else "0600")
    }


@pytest.fixture
def open_folders(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A home and a storage folder created 0755, and the umask 0o022 the server inherits."""
    home, storage = tmp_path / "home", tmp_path / "storage"
    previous = os.umask(OPEN_UMASK)
    try:
        for folder in (home, storage):
            folder.mkdir()
            folder.chmod(0o755)
        yield home, storage
    finally:
        os.umask(previous)


def run_to_report(client: ApiClient, shared_data: Path) -> list[str]:
    """Upload iris as CSV and as Parquet, run the second through every job to a report
    (HTML and PDF); the names of the jobs."""
    client.datasets.upload_dataset(shared_data / "iris.csv", name="iris-csv")
    dataset = client.datasets.upload_dataset(pd.read_csv(shared_data / "iris.csv"), name="iris")
    config = Config.new("modes", seed=3)
    config.add_table("iris", str(dataset.id))
    config.set_parameters("iris", avatarization=AvatarizationParameters(k=10))
    config.add_report(ReportType.BASIC, ReportLanguage.EN, ReportFormat.HTML)
    resource = client.resources.put_resources("modes", config.to_yaml())
    jobs = client.jobs
    standard = jobs.create_job(resource.set_name, "standard")
    privacy = jobs.create_job(resource.set_name, "privacy_metrics", [standard.name])
    signal = jobs.create_job(resource.set_name, "signal_metrics", [standard.name])
    report = jobs.create_job(
        resource.set_name, report_name(ReportType.BASIC), [privacy.name, signal.name]
    )
    names = [standard.name, privacy.name, signal.name, report.name]
    for name in names:
        wait_for_status(client, name, "done")
    return names


def test_every_file_is_private_in_open_folders(
    open_folders: tuple[Path, Path], shared_data: Path
) -> None:
    home, storage = open_folders
    server = ServerProcess(home, admin_password=ADMIN_PASSWORD, storage_url=str(storage), workers=1)
    server.start()
    try:
        with ApiClient(server.base_url) as client:
            client.authenticate("admin", ADMIN_PASSWORD)
            jobs = run_to_report(client, shared_data)
            reports = client.results.get_results(jobs[-1]).files
            client.auth.forgotten_password("admin@localhost")  # a mail to the outbox
            # The request is queued; the mail sender writes the mail a moment later.
            wait_until((home / "outbox.jsonl").exists, what="the reset mail in the outbox")
            # While the server runs, SQLite's WAL and SHM files are there too.
            running = not_private(home), not_private(storage)
            home_files = modes(home)
    finally:
        server.stop()
    assert {entry.file_format for entry in reports} == {"html", "pdf", "json"}  # the manifest
    expected = {"avatars.db", "avatars.db-wal", "avatars.db-shm", "secret_key", "outbox.jsonl"}
    assert expected <= set(home_files), home_files
    assert any(name.startswith("datasets/") for name in modes(storage))
    assert any(name.endswith(".html") for name in modes(storage))
    assert running == ({}, {})
    assert not_private(home) == {}
    assert not_private(storage) == {}
    log = server.log()
    for folder, what in ((home, "AVATAR_HOME"), (storage, "the storage folder")):
        warning = f"WARNING:     avatar_server: {what} {folder} was mode 0755, open to other users"
        assert re.search(rf"{re.escape(warning)}; it is now 0700", log), log[-3000:]


def test_files_left_open_by_an_earlier_server_are_tightened(
    open_folders: tuple[Path, Path],
) -> None:
    """A database (and its WAL and SHM) written 0644 by an earlier version, in a home and a
    storage folder 0755 again, are 0600 and 0700 once the server has started."""
    home, storage = open_folders
    server = ServerProcess(home, admin_password=ADMIN_PASSWORD, storage_url=str(storage), workers=0)
    server.start()
    server.stop()
    database = home / "avatars.db"
    for path in (database, home / "avatars.db-wal", home / "avatars.db-shm"):
        path.touch()
        path.chmod(0o644)
    home.chmod(0o755)
    storage.chmod(0o755)
    server.start()
    try:
        with ApiClient(server.base_url) as client:
            client.authenticate("admin", ADMIN_PASSWORD)
    finally:
        server.stop()
    assert not_private(home) == {}
    assert not_private(storage) == {}


def test_the_embedded_server_keeps_its_files_private_and_its_host_umask(
    open_folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded server (``Manager()`` without a URL) runs in the user's own program, whose
    umask it leaves alone: its files are private all the same, their modes set explicitly."""
    home, storage = open_folders
    monkeypatch.setenv("AVATAR_WORKERS", "0")
    monkeypatch.setenv("AVATAR_STORAGE_URL", str(storage))
    embedded = start_embedded_server(home)
    try:
        with ApiClient(embedded.base_url) as client:
            client.authenticate(*embedded.local_credentials())
            client.datasets.upload_dataset(io.BytesIO(b"x,y\n1,a\n2,b\n3,c\n"), name="t")
            running = not_private(home), not_private(storage)
    finally:
        embedded.stop()
    assert os.umask(OPEN_UMASK) == OPEN_UMASK, "the user's program had its umask changed"
    assert any(name.startswith("datasets/") for name in modes(storage))
    assert running == ({}, {})
