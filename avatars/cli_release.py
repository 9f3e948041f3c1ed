"""What the command line leaves for a data-protection officer: the released avatars exactly as
the server stored them, the run's release manifest beside them, and ``avatars verify`` to check
a file against that manifest.

The manifest names each released file by the SHA-256 of the server's bytes. A CSV written again
from a DataFrame, or one whose formula-like cells got an apostrophe, has other bytes and
matches no entry, so a DPO could not tie it to its evaluation. The avatars file the CLI writes
is therefore the server's file, downloaded as is and checked against the manifest before
anything is printed; when its text cells look like spreadsheet formulas, a protected copy is
written beside it for opening in a spreadsheet, and the avatars file stays the one to share.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avatar_yaml.manifest import MANIFEST_FILE
from avatar_yaml.vocabulary import ResultKind

if TYPE_CHECKING:
    from avatars.release import ReleaseCheck
    from avatars.runner import Runner

SPREADSHEET_SUFFIX = ".spreadsheet-safe.csv"
"""The protected copy of a CSV result (``patients.avatars.csv`` gives
``patients.avatars.spreadsheet-safe.csv``), written only when some text cells look like
formulas: to open in a spreadsheet, never to verify (its bytes are not the server's)."""


def spreadsheet_copy_path(path: Path) -> Path:
    """Where the protected copy of the CSV at ``path`` goes (:data:`SPREADSHEET_SUFFIX`)."""
    return path.with_name(path.name.removesuffix(".csv") + SPREADSHEET_SUFFIX)


def write_spreadsheet_copy(path: Path, *, keep_formulas: bool) -> tuple[Path | None, int]:
    """Beside the CSV at ``path`` (left as it is), a copy whose formula-like text cells have
    an apostrophe in front; returns it with how many cells it changed, or (None, 0) when no
    cell looks like a formula or ``keep_formulas`` (a copy left by an earlier run is removed:
    it would no longer match the file beside it)."""
    from avatar_yaml.spreadsheet_safety import neutralize_csv_file

    copy = spreadsheet_copy_path(path)
    copy.unlink(missing_ok=True)
    if keep_formulas:
        return None, 0
    shutil.copyfile(path, copy)
    neutralized = neutralize_csv_file(copy)
    if not neutralized:
        copy.unlink()
        return None, 0
    return copy, neutralized


VERIFY_REFUSED = 4
"""Exit status of ``avatars verify`` when a file is not one the manifest clears for sharing:
it matches no entry (modified, or from another run), or it is the input or the unshuffled
avatars. (3, as for ``avatars anonymize``, when the file's table failed its privacy verdict.)"""


@dataclass(frozen=True)
class SavedAvatars:
    """A table's avatars as saved by :func:`save_released_avatars`: the server's file, its row
    count, and the spreadsheet-protected copy with how many cells it changed (None, 0: not
    written, because no cell looks like a formula or ``--keep-formulas`` was given)."""

    path: Path
    rows: int
    protected: Path | None
    neutralized: int

    def lines(self) -> list[str]:
        """The lines naming the file (and its protected copy, saying which one to share)."""
        from avatar_yaml.spreadsheet_safety import FORMULA_STARTS_IN_WORDS

        found = [f"avatars:  {self.path} ({self.rows} rows), as the server wrote it"]
        if self.protected is not None:
            found += [
                f"          {self.neutralized:,} text cell(s) begin with "
                f"{FORMULA_STARTS_IN_WORDS}: a spreadsheet would run them as formulas",
                f"          {self.protected}: the same with an apostrophe in front of each, "
                "to open in a spreadsheet (not to share: the manifest does not name it; "
                "--keep-formulas: no such copy)",
            ]
        return found


def released_entry(manifest: Mapping[str, Any], table: str) -> dict[str, Any]:
    """The manifest's entry for the shuffled avatars of ``table`` (file name, format, sha256,
    the job that wrote it). ValueError when the run released none for that table."""
    entries = (manifest.get("tables") or {}).get(table, {}).get("released") or []
    for entry in entries:
        if entry.get("kind") == ResultKind.SHUFFLED:
            return dict(entry)
    raise ValueError(
        f"the run's release manifest lists no shuffled avatars for table {table!r}: the "
        "avatarization wrote none, or the manifest is from a server that does not list them"
    )


def shuffled_entry(runner: Runner, table: str) -> dict[str, Any]:
    """The shuffled avatars of ``table`` as the avatarization job lists them, for a run
    without a manifest (a server older than it): name, format and job, no sha256."""
    from avatar_yaml import PARAMETERS_NAME

    for entry in runner.result_files(PARAMETERS_NAME):
        if entry.kind == ResultKind.SHUFFLED and entry.table == table:
            job = runner.jobs[PARAMETERS_NAME]
            return {"name": entry.name, "format": str(entry.file_format), "job": job}
    raise ValueError(f"the avatarization wrote no shuffled avatars for table {table!r}")


def count_rows(path: Path, file_format: str) -> int:
    """The data rows of a result file (CSV as the server writes it: UTF-8 with a header row;
    or Parquet), read in a stream: the file may be larger than memory."""
    if file_format == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open(newline="", encoding="utf-8") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def save_released_avatars(
    runner: Runner,
    manifest: Mapping[str, Any] | None,
    table: str,
    output: Path,
    *,
    keep_formulas: bool,
) -> SavedAvatars:
    """Download the shuffled avatars of ``table`` as the server stored them to
    ``output/<table>.avatars.<format>`` and check that the ``manifest`` names them
    (ValueError if not: the file changed between the job and the download; None: a server
    older than the manifest, nothing to check against). A CSV whose text cells look like
    formulas also gets a protected copy (:func:`write_spreadsheet_copy`) unless
    ``keep_formulas``."""
    from avatars.release import verify_release

    entry = released_entry(manifest, table) if manifest else shuffled_entry(runner, table)
    path = output / f"{table}.avatars.{entry['format']}"
    runner.client.results.download_file(
        entry["job"], entry["name"], path, neutralize_formulas=False
    )
    check = verify_release(manifest, path) if manifest else None
    if check is not None and (check.entry is None or check.entry["kind"] != ResultKind.SHUFFLED):
        raise ValueError(
            f"the avatars downloaded to {path} (sha256 {check.sha256}) are not the shuffled "
            f"file the run's manifest names for table {table!r} (sha256 {entry['sha256']}): "
            "the stored result changed after the job; run again"
        )
    protected, neutralized = (
        write_spreadsheet_copy(path, keep_formulas=keep_formulas)
        if entry["format"] == "csv"
        else (None, 0)
    )
    return SavedAvatars(path, count_rows(path, str(entry["format"])), protected, neutralized)


def write_manifest(runner: Runner, output: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Write the run's release manifest to ``output/release_manifest.json``; returns it with
    the line naming it, or None with a line saying why there is none (a server older than
    the manifest)."""
    try:
        manifest = runner.manifest()
    except ValueError as error:
        return None, [f"manifest: none written ({error})"]
    path = output / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest, [f"manifest: {path} (ties each released file to this evaluation)"]


def verify_hint(output: Path, saved: Sequence[SavedAvatars]) -> list[str]:
    """The line saying how to check the written avatars against the manifest."""
    if not saved:
        return []
    files = " ".join(str(avatars.path) for avatars in saved)
    return [f"verify:   avatars verify {output / MANIFEST_FILE} {files}"]


def table_verdict(manifest: Mapping[str, Any], table: str) -> Mapping[str, Any] | None:
    """The privacy verdict the manifest records for ``table`` (None: not evaluated)."""
    privacy = ((manifest.get("tables") or {}).get(table) or {}).get("privacy") or {}
    verdict = privacy.get("verdict")
    return verdict if isinstance(verdict, Mapping) else None


@dataclass(frozen=True)
class Verification:
    """What ``avatars verify`` says about one file, and the exit status it calls for."""

    lines: list[str]
    status: int


def verification(
    manifest: Mapping[str, Any], check: ReleaseCheck, *, accept_risk: bool
) -> Verification:
    """Judge one checked file: 0 when it is a shareable released file whose table passed
    its privacy verdict; :data:`VERIFY_REFUSED` when it matches no entry or is a file not to
    share; 3 when its table failed the verdict or was not evaluated (nothing cleared it: a
    script gating on the exit status must not read that as cleared), unless ``accept_risk``."""
    from avatars.cli import VERDICT_FAILED

    lines = [str(check)]
    if check.entry is None:
        return Verification(lines, VERIFY_REFUSED)
    if not check.shareable:
        lines.append("  not a file to share: give the shuffled avatars of this run instead")
        return Verification(lines, VERIFY_REFUSED)
    table = str(check.entry["table"])
    verdict = table_verdict(manifest, table)
    if verdict is None:
        lines.append(
            f"  privacy verdict of table {table!r}: not evaluated (the run measured no "
            "privacy metrics): nothing in this manifest clears the file; --accept-risk exits "
            "0 anyway"
        )
        return Verification(lines, 0 if accept_risk else VERDICT_FAILED)
    status = str(verdict.get("status"))
    failing = ", ".join(str(name) for name in verdict.get("failing") or [])
    lines.append(
        f"  privacy verdict of table {table!r}: {status.upper()}"
        + (f" (failed: {failing})" if failing else "")
    )
    if status == "pass" or accept_risk:
        return Verification(lines, 0)
    lines.append(
        "  the evaluation did not clear this file for sharing as it is (the report gives "
        "the remedies); --accept-risk exits 0 anyway"
    )
    return Verification(lines, VERDICT_FAILED)


def verify_files(manifest_path: Path, files: Sequence[Path], *, accept_risk: bool) -> Verification:
    """``avatars verify``: check each file against the manifest at ``manifest_path``. The
    status is the worst file's (refused before a failed verdict before 0)."""
    from avatars.release import read_manifest, verify_release

    manifest = read_manifest(manifest_path)
    lines: list[str] = []
    if not manifest.get("complete", True):
        missing = ", ".join(str(part) for part in manifest.get("missing_parts") or [])
        lines.append(f"note: this manifest is incomplete (no part from: {missing})")
    statuses = []
    for path in files:
        found = verification(manifest, verify_release(manifest, path), accept_risk=accept_risk)
        lines += found.lines
        statuses.append(found.status)
    worst = VERIFY_REFUSED if VERIFY_REFUSED in statuses else max(statuses, default=0)
    return Verification(lines, worst)


__all__ = [
    "SPREADSHEET_SUFFIX",
    "VERIFY_REFUSED",
    "SavedAvatars",
    "Verification",
    "count_rows",
    "released_entry",
    "save_released_avatars",
    "spreadsheet_copy_path",
    "table_verdict",
    "verification",
    "verify_files",
    "verify_hint",
    "write_manifest",
    "write_spreadsheet_copy",
]
