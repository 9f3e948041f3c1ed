"""Each job's part of the run's release manifest (see :mod:`avatar_yaml.manifest`), and the
whole manifest the report job assembles from them.

A part is written last by its job, from what the job has just written (read back from its
own attempt's files) and from the run's configuration: whatever a handler adds to its metrics
or verdict appears in the manifest without a change here.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import platform
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from avatar_server import __version__
from avatar_server.db.models import Dataset, Job
from avatar_server.engine.avatarize import ImputationSettings
from avatar_server.jobs.context import JobContext
from avatar_server.jobs.parameters import exclusion_settings, imputation_settings
from avatar_server.jobs.results import ResultWriter
from avatar_yaml import AvatarizationParameters, JobKind, ResultKind
from avatar_yaml.manifest import (
    PART_FILES,
    assemble_manifest,
    column_treatments,
    released_files,
)
from avatar_yaml.rules import brought_avatars

SOFTWARE = ("numpy", "pandas", "scipy", "scikit-learn", "saiph", "pyarrow")
"""The libraries whose versions decide what the engine computes."""


def software_versions() -> dict[str, str | None]:
    """The server's version, Python's and each of :data:`SOFTWARE` (None: not installed)."""
    found: dict[str, str | None] = {
        "avatars_server": __version__,
        "python": platform.python_version(),
    }
    for name in SOFTWARE:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def dataset_entry(dataset: Dataset, file: str | None = None) -> dict[str, Any]:
    """What identifies an uploaded dataset: its id, name, shape and the sha256 of its bytes."""
    return {
        "dataset_id": str(dataset.id),
        "name": dataset.name,
        "file": file,
        "format": dataset.format.value,
        "rows": dataset.rows,
        "columns": dataset.column_count,
        "size": dataset.size_bytes,
        "sha256": dataset.sha256,
    }


def _inputs(ctx: JobContext) -> dict[str, dict[str, Any]]:
    return {
        table.name: dataset_entry(ctx.dataset(table.name), table.data.file)
        for table in ctx.config.schema.tables
        if table.data is not None
    }


def _written(out: ResultWriter, kind: str) -> dict[str, list[Any]]:
    """Per table, the JSON files of ``kind`` this attempt wrote, read back (a list stays a
    list; several files of one table are joined)."""
    found: dict[str, list[Any]] = {}
    for entry in out.files:
        if entry["kind"] != kind or entry["table"] is None or entry["format"] != "json":
            continue
        with out.storage.open_read(f"{out.prefix}/{entry['name']}") as handle:
            value = json.loads(handle.read())
        found.setdefault(entry["table"], []).extend(value if isinstance(value, list) else [value])
    return found


def _part(ctx: JobContext, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "part": kind,
        "job": ctx.job.name,
        "software": software_versions(),
        "inputs": _inputs(ctx),
        **fields,
    }


def _write(out: ResultWriter, kind: str, part: dict[str, Any]) -> None:
    out.write_json(ResultKind.MANIFEST_PART, None, PART_FILES[kind], part)


def effective_avatarization(
    chosen: AvatarizationParameters, axes: int | None = None, *, linked: bool = False
) -> dict[str, Any]:
    """The avatarization of a table as the engine ran it: the document's unset fields replaced
    by the engine's defaults (``axes``: the projected axes the run searched on, from its
    metadata, None where the run kept no such record; ``linked``: the table took part in a
    link, and a linked group keeps the method's 5 axes)."""
    imputation = imputation_settings(chosen.imputation) or ImputationSettings()
    exclusion = exclusion_settings(chosen.exclude_variables)
    return {
        "k": chosen.k,
        "ncp": chosen.ncp if chosen.ncp is not None else axes,
        "ncp_rule": _ncp_rule(chosen.ncp is not None, linked),
        "use_categorical_reduction": bool(chosen.use_categorical_reduction),
        "column_weights": dict(chosen.column_weights or {}),
        "imputation": dataclasses.asdict(imputation),
        "exclude_variables": None
        if exclusion is None
        else {
            "variable_names": list(exclusion.variable_names),
            "replacement_strategy": exclusion.replacement_strategy,
        },
        "processors": [p.to_dict() for p in chosen.avatarization_processors_parameters or []],
    }


def _ncp_rule(given: bool, linked: bool) -> str:
    """How the run came to its ncp (``engine.axes`` for a table alone)."""
    if given:
        return "as given"
    if linked:
        return "default for linked tables: the method's 5, fewer when the table has fewer"
    return (
        "default: the axes carrying more variance than on shuffled columns, 3 to 5, fewer "
        "when the table has fewer"
    )


def _axes(metadata: dict[str, Any]) -> int | None:
    """The projected axes a table's run searched on (one explained share per axis)."""
    shares = metadata.get("explained_variance_ratio")
    return len(shares) if isinstance(shares, list) and shares else None


def write_standard_part(ctx: JobContext, out: ResultWriter, *, seed: int, drawn: bool) -> None:
    """The avatarization's part: inputs, parameters as run, the run's seed (``drawn``: the
    user gave none and the server drew it; rerunning with it makes the same avatars), each
    table's own seed (drawn from the run's for linked tables), columns and released files."""
    parameters = ctx.config.parameters
    chosen_of = dict((parameters.avatarization or {}) if parameters else {})
    metadata = {
        name: entries[0] for name, entries in _written(out, ResultKind.RUN_METADATA).items()
    }
    released = released_files(out.files, ctx.job.name)
    tables: dict[str, Any] = {}
    for name in released:
        chosen = chosen_of.get(name)
        dataset = ctx.dataset(name)
        tables[name] = {
            "avatarization": {
                "given": chosen.to_dict() if chosen is not None else None,
                "effective": None
                if chosen is None
                else effective_avatarization(
                    chosen,
                    _axes(metadata.get(name, {})),
                    linked=bool(metadata.get(name, {}).get("links")),
                ),
                "table_seed": metadata.get(name, {}).get("seed"),
            },
            "columns": column_treatments(ctx.table(name), dataset.columns, chosen),
            "released": released[name],
        }
    part = _part(
        ctx,
        JobKind.STANDARD,
        seed={"value": seed, "drawn": drawn},
        time_series=_table_settings(parameters, "time_series"),
        tables=tables,
    )
    _write(out, JobKind.STANDARD, part)


def _document(document: Any) -> dict[str, Any] | None:
    return document.to_dict() if document is not None else None


def _table_settings(document: Any, field: str) -> dict[str, Any]:
    if document is None:
        return {}
    return {name: value.to_dict() for name, value in (getattr(document, field) or {}).items()}


def _brought(ctx: JobContext) -> dict[str, list[dict[str, Any]]]:
    """Per table whose avatars the user brought, that dataset as the released file."""
    found = {}
    for name in brought_avatars(ctx.config):
        entry = dataset_entry(ctx.avatars_dataset(name))
        found[name] = [{"kind": "brought_avatars", **entry, "job": ctx.job.name}]
    return found


def write_privacy_part(ctx: JobContext, out: ResultWriter) -> None:
    """The privacy metrics' part: per table its metrics (as the job wrote them, whatever they
    are), their targets and pass/fail, the attacks and what they found, its verdict, and the
    settings they were measured with."""
    document = ctx.config.privacy_metrics
    settings = _table_settings(document, "privacy_metrics")
    verdicts = _written(out, ResultKind.PRIVACY_VERDICT)
    attacks = _written(out, ResultKind.PRIVACY_ATTACKS)
    brought = _brought(ctx)
    tables: dict[str, Any] = {}
    for name, metrics in _written(out, ResultKind.PRIVACY_METRICS).items():
        tables[name] = {
            "privacy": {
                "parameters": settings.get(name),
                "metrics": metrics,
                "verdict": (verdicts.get(name) or [None])[0],
                "attacks": (attacks.get(name) or [None])[0],
            }
        }
        if name in brought:
            tables[name]["released"] = brought[name]
            tables[name]["columns"] = column_treatments(
                ctx.table(name), ctx.dataset(name).columns, None, brought=True
            )
    seed = document.seed if document is not None and document.seed is not None else 0
    part = _part(
        ctx,
        JobKind.PRIVACY_METRICS,
        parameters={"seed": seed, "document": _document(document)},
        brought_avatars=bool(brought),
        tables=tables,
    )
    _write(out, JobKind.PRIVACY_METRICS, part)


def write_signal_part(ctx: JobContext, out: ResultWriter) -> None:
    """The signal metrics' part: per table its metrics (targets and pass/fail included)."""
    document = ctx.config.signal_metrics
    settings = _table_settings(document, "signal_metrics")
    tables = {
        name: {"signal": {"parameters": settings.get(name), "metrics": metrics}}
        for name, metrics in _written(out, ResultKind.SIGNAL_METRICS).items()
    }
    seed = document.seed if document is not None and document.seed is not None else 0
    part = _part(
        ctx,
        JobKind.SIGNAL_METRICS,
        parameters={"seed": seed, "document": _document(document)},
        tables=tables,
    )
    _write(out, JobKind.SIGNAL_METRICS, part)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def job_entry(job: Job) -> dict[str, Any]:
    """A job as the manifest lists it."""
    return {
        "name": job.name,
        "kind": job.kind,
        "document": job.parameters_name,
        "status": str(job.status),
        "created_at": _when(job.created_at),
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
    }


def run_manifest(ctx: JobContext, jobs: Iterable[Job], current: Job | None) -> dict[str, Any]:
    """The run's whole manifest, from the parts the finished ``jobs`` wrote; ``current`` (the
    report job assembling it, still running) is listed among the jobs."""
    parts = []
    listed = []
    for job in jobs:
        listed.append(job_entry(job))
        if ctx.result_entries(job, ResultKind.MANIFEST_PART, None):
            parts.append(ctx.read_result_json(job, ResultKind.MANIFEST_PART, None))
    if current is not None:
        listed.append(job_entry(current))
    return assemble_manifest(
        parts,
        jobs=listed,
        set_name=str(ctx.job.set_name),
        display_name=ctx.config.display_name,
        assembled_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


__all__ = [
    "dataset_entry",
    "effective_avatarization",
    "job_entry",
    "run_manifest",
    "software_versions",
    "write_privacy_part",
    "write_signal_part",
    "write_standard_part",
]
