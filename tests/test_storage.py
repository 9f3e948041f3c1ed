"""The storage on a local folder: streamed writes that appear whole or not at all, private
files, and the janitor (the same scenarios run on S3 in ``tests/integration``)."""

from __future__ import annotations

import stat
from pathlib import Path

from avatar_server.services.orphans import clean_orphans
from avatar_server.storage import Storage
from tests import storage_scenarios as scenarios

MiB = scenarios.MiB


def test_round_trip_and_ranged_reads(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "storage"))
    data = scenarios.check_round_trip(storage, "datasets/u/d/uploaded", 9 * MiB + 17)
    scenarios.check_ranged_reads(storage, "datasets/u/d/uploaded", data)
    path = tmp_path / "storage" / "datasets" / "u" / "d" / "uploaded"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["uploaded"]  # no unfinished write left


def test_interrupted_and_abandoned_writes_leave_nothing(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "storage"))
    scenarios.check_interrupted_write_leaves_nothing(storage, "datasets/u/d/uploaded", 3 * MiB)
    scenarios.check_existing_object_is_replaced_whole(storage, "results/u/j/figures/f.png")
    assert [p.name for p in (tmp_path / "storage").rglob("*") if p.is_file()] == ["f.png"]


def test_orphans_are_cleaned(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "storage"))
    with scenarios.sqlite_sessions(tmp_path) as db:
        scenarios.check_orphans_are_cleaned(storage, db)


def test_a_killed_local_write_is_cleaned_as_an_orphan(tmp_path: Path) -> None:
    """A writer killed before its rename leaves a hidden ``.partial`` file: the janitor erases
    it with its (unreferenced) prefix."""
    storage = Storage(str(tmp_path / "storage"))
    writer = storage.start_write("datasets/u/d/uploaded")
    writer.write(b"half")
    writer.handle.flush()
    (partial,) = (tmp_path / "storage" / "datasets").rglob("*.partial")
    assert not storage.exists("datasets/u/d/uploaded")
    with scenarios.sqlite_sessions(tmp_path) as db:
        assert clean_orphans(db, storage, grace_s=0) == ["datasets/u/d"]
    assert not partial.exists()
    writer.abort()
