"""The release manifest of a run: what a data-protection officer needs to tie a released avatar
file to the evaluation that cleared it.

Each job of a run writes the part of the manifest it knows (a ``manifest_part`` result): the
avatarization its inputs (each dataset's sha256), the parameters as run (the seed actually
used), the role and treatment of every column and the released files with their sha256; each
metrics job its metrics, targets and (privacy) verdict, with the parameters it measured with.
The report job assembles the parts into ``release_manifest.json`` and prints it; a run
without a report is assembled by the client from the same parts. Both call
:func:`assemble_manifest`, so the rule that makes a manifest of parts lives here only.

No original value ever enters a manifest (it goes into a report): hashes, names, counts,
parameters and metrics only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from avatar_yaml.documents import AvatarizationParameters, TableInfo
from avatar_yaml.vocabulary import JobKind, KeepMode, ResultKind

MANIFEST_SCHEMA_VERSION = 1
"""Raised whenever a field changes meaning or is removed (adding one keeps the version)."""

MANIFEST_FILE = "release_manifest.json"
PART_FILES: dict[str, str] = {
    JobKind.STANDARD: "release_manifest.standard.json",
    JobKind.PRIVACY_METRICS: "release_manifest.privacy_metrics.json",
    JobKind.SIGNAL_METRICS: "release_manifest.signal_metrics.json",
}
"""The file each job writes its part to (kind ``manifest_part``, no table)."""

RELEASED_KINDS = (ResultKind.SHUFFLED, ResultKind.UNSHUFFLED)
"""The result files listed as released, with their sha256: the avatars (the unshuffled ones
are sensitive, but are files a user may hold and must be able to identify too)."""

PASS, FAIL, NOT_EVALUATED = "pass", "fail", "not_evaluated"

_SECTIONS = {
    JobKind.STANDARD: ("avatarization", "columns", "released"),
    JobKind.PRIVACY_METRICS: ("privacy", "released", "columns"),
    JobKind.SIGNAL_METRICS: ("signal",),
}
"""What each part contributes to a table's entry. A privacy part lists released files and
columns only in a run that measures avatars the user brings (it has no avatarization part)."""


def column_treatments(
    table: TableInfo,
    columns: Sequence[Mapping[str, Any]],
    chosen: AvatarizationParameters | None,
    *,
    brought: bool = False,
) -> list[dict[str, Any]]:
    """Each column of the uploaded table (``columns``: the dataset's discovered columns, with
    ``name`` and, when detected, ``role`` and ``type``) with its role and what the run does
    with it. ``treatment`` is one of ``avatarized``, ``excluded`` (left out of the projection,
    ``reattached`` says how it was put back), ``primary_key`` (replaced by new keys),
    ``foreign_key`` (replaced by the new key of the avatar parent), ``pseudonymized``
    (``strategy`` gives the kind), ``grouped`` (rare values merged before avatarization),
    ``kept_as_is`` (a risky column kept on purpose), ``dropped``, or ``measured`` for a table
    whose avatars the user brought (``brought``: the server released nothing of its own). A
    series table has no avatarization parameters (``chosen`` None) but its curves are
    avatarized all the same."""
    declared = {column.field: column for column in table.columns or []}
    exclusion = chosen.exclude_variables if chosen is not None else None
    excluded = set(exclusion.variable_names) if exclusion is not None else set()
    found = []
    for column in columns:
        name = str(column["name"])
        info = declared.get(name)
        entry: dict[str, Any] = {
            "column": name,
            "type": str(info.type) if info is not None and info.type else column.get("type"),
            "role": column.get("role"),
        }
        if info is not None and info.primary_key:
            entry["treatment"] = "primary_key"
        elif info is not None and info.identifier:
            entry["treatment"] = "foreign_key"
        elif info is not None and info.drop:
            entry["treatment"] = "dropped"
        elif info is not None and info.pseudonymization is not None:
            entry["treatment"] = "pseudonymized"
            entry["strategy"] = str(info.pseudonymization.kind)
        elif brought:
            entry["treatment"] = "measured"
        elif info is not None and info.keep is KeepMode.AS_IS:
            entry["treatment"] = "kept_as_is"
        elif name in excluded:
            assert exclusion is not None
            entry["treatment"] = "excluded"
            entry["reattached"] = str(exclusion.replacement_strategy)
        elif info is not None and info.keep is KeepMode.GROUPED:
            entry["treatment"] = "grouped"
        else:
            entry["treatment"] = "avatarized"
        found.append(entry)
    return found


def released_files(files: Iterable[Mapping[str, Any]], job: str) -> dict[str, list[dict[str, Any]]]:
    """Per table, the released result files among a job's result entries (``kind``,
    ``table``, ``name``, ``format``, ``size``, ``sha256``), each with the job that wrote it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in files:
        if entry["kind"] not in RELEASED_KINDS or entry.get("table") is None:
            continue
        found.setdefault(str(entry["table"]), []).append(
            {
                "kind": str(entry["kind"]),
                "name": entry["name"],
                "format": entry["format"],
                "size": entry["size"],
                "sha256": entry["sha256"],
                "job": job,
            }
        )
    return found


def _verdict(verdict: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The verdict as the privacy job wrote it, with the names of its failing items first."""
    if verdict is None:
        return None
    items = list(verdict.get("items") or [])
    return {
        "status": verdict.get("status"),
        "failing": [item.get("name") for item in items if not item.get("passed")],
        "items": items,
    }


def _release_status(tables: Mapping[str, Mapping[str, Any]], evaluated: bool) -> str:
    """``pass`` when every table's privacy verdict passes, ``fail`` when one fails,
    ``not_evaluated`` when the run has no privacy part (or a table has no verdict)."""
    if not evaluated or not tables:
        return NOT_EVALUATED
    statuses = [
        ((table.get("privacy") or {}).get("verdict") or {}).get("status")
        for table in tables.values()
    ]
    if any(status == FAIL for status in statuses):
        return FAIL
    if all(status == PASS for status in statuses):
        return PASS
    return NOT_EVALUATED


def assemble_manifest(
    parts: Sequence[Mapping[str, Any]],
    *,
    jobs: Sequence[Mapping[str, Any]],
    set_name: str,
    display_name: str,
    assembled_at: str,
) -> dict[str, Any]:
    """The release manifest of a run from its jobs' parts (any of them may be missing: it is
    then listed in ``missing_parts`` and the manifest says ``complete: false``). ``jobs``:
    every job of the run (``name``, ``kind``, ``document``, ``status``, ``created_at``,
    ``started_at``, ``finished_at``); ``assembled_at``: when, in ISO 8601."""
    by_kind: dict[str, Mapping[str, Any]] = {}
    for part in parts:
        kind = str(part.get("part"))
        if kind not in _SECTIONS:
            raise ValueError(f"unknown manifest part {kind!r} (known: {', '.join(_SECTIONS)})")
        if kind in by_kind:
            raise ValueError(f"two manifest parts of kind {kind!r}")
        by_kind[kind] = part
    tables: dict[str, dict[str, Any]] = {}
    for kind, sections in _SECTIONS.items():
        written = by_kind.get(kind)
        if written is None:
            continue
        for name, given in (written.get("inputs") or {}).items():
            tables.setdefault(name, {}).setdefault("input", given)
        for name, entry in (written.get("tables") or {}).items():
            table = tables.setdefault(name, {})
            for section in sections:
                if section not in entry or section in table:
                    continue
                value = entry[section]
                table[section] = (
                    value | {"verdict": _verdict(value.get("verdict"))}
                    if section == "privacy"
                    else value
                )
    standard = by_kind.get(JobKind.STANDARD) or {}
    privacy = by_kind.get(JobKind.PRIVACY_METRICS) or {}
    signal = by_kind.get(JobKind.SIGNAL_METRICS) or {}
    missing = [kind for kind in _SECTIONS if kind not in by_kind]
    if privacy.get("brought_avatars") and JobKind.STANDARD in missing:
        missing.remove(JobKind.STANDARD)  # avatars the user brought: nothing was avatarized
    return {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "set_name": set_name,
        "display_name": display_name,
        "assembled_at": assembled_at,
        "complete": not missing,
        "missing_parts": [str(kind) for kind in missing],
        "release_status": _release_status(tables, JobKind.PRIVACY_METRICS in by_kind),
        "jobs": [dict(job) for job in jobs],
        "seed": standard.get("seed"),
        "privacy_parameters": privacy.get("parameters"),
        "signal_parameters": signal.get("parameters"),
        "time_series_parameters": standard.get("time_series"),
        "software": {kind: part.get("software") for kind, part in by_kind.items()},
        "tables": tables,
    }


def tables_manifest(manifest: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The manifest restricted to the tables ``names`` (for a privacy-impact document, signed
    per table's people), its release status that of those tables."""
    kept = {name: table for name, table in (manifest.get("tables") or {}).items() if name in names}
    evaluated = JobKind.PRIVACY_METRICS not in (manifest.get("missing_parts") or [])
    return dict(manifest) | {"tables": kept, "release_status": _release_status(kept, evaluated)}


def file_entries(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every file a manifest identifies by its sha256: each table's input dataset (``kind``
    ``input``) and its released files, each with its ``table``."""
    found = []
    for name, table in (manifest.get("tables") or {}).items():
        given = table.get("input")
        if given and given.get("sha256"):
            found.append({"table": name, "kind": "input", **given})
        for entry in table.get("released") or []:
            found.append({"table": name, **entry})
    return found


__all__ = [
    "FAIL",
    "MANIFEST_FILE",
    "MANIFEST_SCHEMA_VERSION",
    "NOT_EVALUATED",
    "PART_FILES",
    "PASS",
    "RELEASED_KINDS",
    "assemble_manifest",
    "column_treatments",
    "file_entries",
    "released_files",
    "tables_manifest",
]
