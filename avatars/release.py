"""The release manifest on the client's side: reading a run's manifest, and checking that a file
is one the manifest names.

A data-protection officer receives a file and a report. :func:`verify_release` recomputes the
file's SHA-256 and says which entry of the manifest it is (an input dataset, the shuffled
avatars of a table...), or that it is none of them: then it was modified, or comes from
another run, and the evaluation in the report does not cover it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avatar_yaml import PARAMETERS_NAME, PRIVACY_METRICS_NAME, SIGNAL_METRICS_NAME, ResultKind
from avatar_yaml.manifest import MANIFEST_SCHEMA_VERSION, assemble_manifest, file_entries
from avatar_yaml.vocabulary import REPORT_NAMES
from avatars.errors import JobFailedError

if TYPE_CHECKING:
    from avatars.results import RunResults

_PART_DOCUMENTS = (PARAMETERS_NAME, PRIVACY_METRICS_NAME, SIGNAL_METRICS_NAME)
_CHUNK = 1 << 20
_NOT_TO_SHARE = {
    "input": "the original data, not to share",
    "unshuffled": "sensitive (the avatars in the originals' row order), not to share",
}


def _when(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_manifest(results: RunResults, set_name: str, display_name: str) -> dict[str, Any] | None:
    """The run's manifest: the one its report job wrote when it has one (the report is the
    complete record), else assembled from its jobs' parts by the rule the server uses; None
    when no job wrote a part (a server older than the manifest). Waits for the jobs it
    reads; a failed avatarization or metrics job raises
    :class:`~avatars.errors.JobFailedError` (a failed report falls back to the parts)."""
    for document in REPORT_NAMES.values():
        if document not in results.jobs:
            continue
        try:
            found = results.entry(document, ResultKind.RELEASE_MANIFEST, None)
        except JobFailedError:
            continue
        if found is not None:
            manifest: dict[str, Any] = results.read_json(*found)
            return manifest
    parts = []
    for document in _PART_DOCUMENTS:
        if document not in results.jobs:
            continue
        found = results.entry(document, ResultKind.MANIFEST_PART, None)
        if found is not None:
            parts.append(results.read_json(*found))
    if not parts:
        return None
    jobs = [
        {
            "name": job.name,
            "kind": job.kind,
            "document": document,
            "status": str(job.status),
            "created_at": _when(job.created_at),
            "started_at": _when(job.started_at),
            "finished_at": _when(job.finished_at),
        }
        for document, job in results.job_list().items()
    ]
    return assemble_manifest(
        parts,
        jobs=jobs,
        set_name=set_name,
        display_name=display_name,
        assembled_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )


@dataclass(frozen=True)
class ReleaseCheck:
    """What :func:`verify_release` found: the file's SHA-256 and size, and the manifest entry
    it matches (``None``: it matches none). True when it matches."""

    path: Path
    sha256: str
    size: int
    entry: dict[str, Any] | None

    @property
    def matched(self) -> bool:
        return self.entry is not None

    @property
    def shareable(self) -> bool:
        """True when the file is a released file that may leave the organisation (the shuffled
        avatars, or avatars the user brought): not the input, not the unshuffled avatars."""
        return self.entry is not None and self.entry["kind"] not in _NOT_TO_SHARE

    def __bool__(self) -> bool:
        return self.matched

    def __str__(self) -> str:
        if self.entry is None:
            return (
                f"{self.path} (sha256 {self.sha256}) matches no file of the manifest: it was "
                "modified, or comes from another run; the evaluation does not cover it"
            )
        what = "input dataset" if self.entry["kind"] == "input" else f"{self.entry['kind']} file"
        found = (
            f"{self.path} is the {what} {self.entry.get('name')!r} of table "
            f"{self.entry['table']!r} (sha256 {self.sha256})"
        )
        if self.entry["kind"] in _NOT_TO_SHARE:
            found += f": {_NOT_TO_SHARE[self.entry['kind']]}"
        return found


def read_manifest(manifest: Mapping[str, Any] | str | os.PathLike[str]) -> Mapping[str, Any]:
    """A release manifest, given as a mapping or as the path of a ``release_manifest.json``,
    checked to be one this client reads. Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` for what is not a manifest, or one of a newer schema."""
    if not isinstance(manifest, Mapping):
        path = Path(manifest)
        if not path.is_file():
            raise FileNotFoundError(f"manifest {path} does not exist")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"manifest {path} is not a JSON document: {error}") from None
    if not isinstance(manifest, Mapping) or "tables" not in manifest:
        raise ValueError(
            "not a release manifest (no 'tables'): pass Runner.manifest() or the path of a "
            "release_manifest.json"
        )
    version = manifest.get("schema_version")
    if not isinstance(version, int) or version > MANIFEST_SCHEMA_VERSION:
        raise ValueError(
            f"manifest schema version {version!r} is not one this client reads (it reads up "
            f"to {MANIFEST_SCHEMA_VERSION}): upgrade open-avatars"
        )
    return manifest


def file_sha256(path: str | os.PathLike[str]) -> tuple[str, int]:
    """The SHA-256 (hex) and the size of a file, read in chunks (a released table may be
    larger than memory)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_release(
    manifest: Mapping[str, Any] | str | os.PathLike[str], path: str | os.PathLike[str]
) -> ReleaseCheck:
    """Check that the file at ``path`` is one the release ``manifest`` names (a mapping such
    as :meth:`avatars.Runner.manifest` returns, or the path of a ``release_manifest.json``).

    Returns a :class:`ReleaseCheck`: true, with the matching entry (table, kind, name, job),
    when the file's SHA-256 is that of an input dataset or a released file of the manifest;
    false when it is none (a modified file, or one from another run). Raises
    ``FileNotFoundError`` for a missing file and ``ValueError`` for what is not a manifest.
    """
    checked = read_manifest(manifest)
    target = Path(path)
    if not target.is_file():
        raise FileNotFoundError(f"file to verify {target} does not exist")
    sha256, size = file_sha256(target)
    for entry in file_entries(checked):
        if entry.get("sha256") == sha256:
            return ReleaseCheck(target, sha256, size, entry)
    return ReleaseCheck(target, sha256, size, None)


__all__ = ["ReleaseCheck", "file_sha256", "read_manifest", "run_manifest", "verify_release"]
