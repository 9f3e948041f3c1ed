"""The job kinds: each reads its run's configuration and data, calls the engine, and writes
its result files. Nothing here knows about HTTP; a failure the user can fix is a ValueError
whose message becomes the job's error."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from avatar_server import __version__
from avatar_server.db.models import Job, JobStatus
from avatar_server.engine import (
    advise,
    privacy_metrics,
    signal_metrics,
    table_summary,
)
from avatar_server.engine.advice import avatarization_warnings
from avatar_server.engine.avatarize import AvatarizationResult
from avatar_server.engine.keys import fresh_keys
from avatar_server.engine.linked import (
    LinkedTableResult,
    SeriesInput,
)
from avatar_server.engine.linked_metrics import (
    MetricView,
    privacy_views,
    relation_utility,
    signal_views,
    summary_table,
)
from avatar_server.engine.processors import ProcessorChain
from avatar_server.engine.pseudonyms import pseudonymize
from avatar_server.engine.results import json_safe, to_official_dicts
from avatar_server.engine.series_metrics import (
    normalized_series_plot,
    raw_series_plot,
    series_signal_metrics,
)
from avatar_server.engine.series_settings import DEFAULT_NF
from avatar_server.engine.series_sides import person_and_series
from avatar_server.engine.signal import associations, variable_comparisons
from avatar_server.engine.streamed import StreamSettings
from avatar_server.jobs.attack_metrics import table_attacks
from avatar_server.jobs.context import JobContext, JobInputError
from avatar_server.jobs.figure_store import StoredFigures
from avatar_server.jobs.group_attacks import group_attacks
from avatar_server.jobs.group_avatarization import (
    GroupAvatarizer,
    group_avatarizer,
    in_table,
    series_input,
)
from avatar_server.jobs.groups import PreparedGroup, avatarized_groups, prepare_group
from avatar_server.jobs.manifest_parts import (
    run_manifest,
    write_privacy_part,
    write_signal_part,
    write_standard_part,
)
from avatar_server.jobs.measured import MeasuredGroup, brought_groups, measured_groups
from avatar_server.jobs.measured_series import MeasuredSeries, measured_series
from avatar_server.jobs.parameters import (
    exclusion_settings,
    imputation_settings,
    pseudonymization_settings,
)
from avatar_server.jobs.results import ResultWriter
from avatar_server.jobs.streamed import run_streamed_table, stored_rows
from avatar_server.jobs.table_details import (
    projection_sample,
    write_run_metadata,
)
from avatar_server.jobs.tables import PreparedTable
from avatar_server.jobs.verdict import table_verdict
from avatar_server.report import (
    ReportData,
    SeriesResults,
    TableResults,
    build_context,
    render_docx,
    render_page,
    render_pdf,
)
from avatar_server.report.builder import DEFAULT_MAX_DISTRIBUTION_PLOTS
from avatar_yaml import (
    AvatarizationParameters,
    JobKind,
    LinkMethod,
    PrivacyMetricsTableParameters,
    ReportParameters,
    ReportType,
    ResultKind,
    SeriesTable,
    SignalMetricsTableParameters,
    TableGroup,
    TimeSeriesParameters,
    report_name,
)
from avatar_yaml.links import series_tables
from avatar_yaml.manifest import MANIFEST_FILE, tables_manifest
from avatar_yaml.rules import brought_avatars
from avatar_yaml.spreadsheet_safety import formula_like_counts
from avatar_yaml.vocabulary import escape_table_name

Handler = Callable[[JobContext, ResultWriter], None]


def _avatarization(ctx: JobContext) -> dict[str, AvatarizationParameters]:
    parameters = ctx.config.parameters
    tables = dict(parameters.avatarization or {}) if parameters is not None else {}
    if not tables:
        raise JobInputError("no table has avatarization parameters: call set_parameters(k=...)")
    return tables


def _pseudonyms(
    table: PreparedTable, unshuffled: pd.DataFrame, secret: bytes, *, seed: int
) -> pd.DataFrame:
    """The avatars with each pseudonymized column added. The pseudonym of a row's original
    sits on that row's avatar (a pseudonym carries nothing of the original value), and follows
    it when the rows are shuffled."""
    if not table.pseudonymized:
        return unshuffled
    unshuffled = unshuffled.copy()
    for column, (values, strategy) in table.pseudonymized.items():
        made = pseudonymize(values, pseudonymization_settings(strategy), secret=secret, seed=seed)
        unshuffled[column] = made.to_numpy()
    return unshuffled


def _new_keys(
    group: PreparedGroup, results: Mapping[str, LinkedTableResult]
) -> dict[str, dict[str, pd.Series]]:
    """Per table, its released key columns, row for row with its unshuffled avatars: a new
    primary key that no original key value ever takes, and each foreign key set to the new
    key of the avatar parent its row was re-attached to."""
    made: dict[str, dict[str, pd.Series]] = {}
    for position, name in enumerate(group.group.tables):
        table, result = group.tables[name], results[name].result
        columns: dict[str, pd.Series] = {}
        if table.primary_key is not None:
            columns[table.primary_key] = fresh_keys(
                table.keys[table.primary_key], len(result.unshuffled), seed=result.seed + position
            )
        for link in group.links_into(name):
            parent_keys = made[link.parent][link.parent_key]
            by = link.parent if name in group.series_names else link.child_key
            rows = results[name].parent_rows[by]
            columns[link.child_key] = parent_keys.iloc[rows].reset_index(drop=True)
        made[name] = columns
    return made


def _released(
    table: PreparedTable,
    result: AvatarizationResult,
    keys: Mapping[str, pd.Series],
    secret: bytes,
    processors: ProcessorChain | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The avatars as released, unshuffled and shuffled: their own columns, the pseudonyms
    and the new keys, in the table's column order; the table's processors undone last, as
    they may chain records by a released key or pseudonym."""
    unshuffled = _pseudonyms(table, result.unshuffled, secret, seed=result.seed)
    unshuffled = unshuffled.reset_index(drop=True)
    for column, values in keys.items():
        unshuffled[column] = values.to_numpy()
    if processors is not None:
        unshuffled = processors.postprocess(unshuffled)
    order = [c for c in table.column_order if c in unshuffled.columns]
    unshuffled = unshuffled[order]
    assert result.shuffle_order is not None
    shuffled = unshuffled.iloc[result.shuffle_order].reset_index(drop=True)
    return unshuffled, shuffled


def _time_series(ctx: JobContext) -> dict[str, TimeSeriesParameters]:
    """The run's series settings per series table (none given: the engine's defaults)."""
    parameters = ctx.config.parameters
    return dict(parameters.time_series or {}) if parameters is not None else {}


def _series_input(ctx: JobContext, group: PreparedGroup, planned: SeriesTable) -> SeriesInput:
    """A series table as the engine takes it, with the run's settings for it."""
    return series_input(group, planned, _time_series(ctx).get(planned.name))


def _warnings(table: PreparedTable, chosen: AvatarizationParameters) -> list[str]:
    exclusion = exclusion_settings(chosen.exclude_variables)
    kept_out = set(exclusion.variable_names) if exclusion else set()
    return avatarization_warnings(table.data[[c for c in table.data.columns if c not in kept_out]])


def run_standard(ctx: JobContext, out: ResultWriter) -> None:
    """Avatarize each group of tables: a linked group together (its children re-attached to
    its avatar parents), a single table alone; every released key is new."""
    tables = _avatarization(ctx)
    parameters = ctx.config.parameters
    assert parameters is not None
    # The seed is drawn here when the user gave none, so the release manifest records the
    # one every table's avatars came from: rerunning with it makes the same avatars.
    drawn = parameters.seed is None
    seed = _drawn_seed() if parameters.seed is None else parameters.seed
    requested_format = parameters.results.format if parameters.results else None
    # The run's own pseudonymization key: drawn here, used for every table, never stored, so
    # no one can rebuild the mapping from the results or the stored parameters.
    secret = secrets.token_bytes(32)
    seeding = (seed, secret)
    groups = avatarized_groups(ctx.config.schema, tables)
    for index, planned in enumerate(groups):
        if _run_streamed(ctx, out, planned, tables, seeding, requested_format, index, len(groups)):
            continue
        group = prepare_group(planned, {name: ctx.prepared(name) for name in planned.tables})
        series = {item.name: _series_input(ctx, group, item) for item in planned.series}
        warnings: dict[str, list[str]] = {}
        with_series = {item.link.parent for item in planned.series}
        for name in planned.tables:
            if name in group.series_names:
                continue
            if group.tables[name].data.shape[1] == 0 and name in with_series:
                warnings[name] = []  # a series-only person: its series are all it has
                continue
            try:
                warnings[name] = _warnings(group.tables[name], tables[name])
            except ValueError as error:
                raise JobInputError(in_table(name, error)) from None
        label = ", ".join(planned.tables)
        unprocessed = dict(group.tables)
        avatarize = group_avatarizer(
            _time_series(ctx),
            seed=seed,
            batch_rows=ctx.settings.batch_rows,
            progress=ctx.part(index, len(groups), label),
        )
        results, processors = avatarize(group, tables)
        # What is written about the tables (variables, rows) is about the table as uploaded,
        # not as the processors re-expressed it for the projection.
        group.tables.update(unprocessed)
        keys = _new_keys(group, results)
        for name in planned.tables:
            table, linked = group.tables[name], results[name]
            try:
                unshuffled, shuffled = _released(
                    table, linked.result, keys[name], secret, processors.get(name)
                )
            except ValueError as error:
                raise JobInputError(in_table(name, error)) from None
            fmt = str(requested_format) if requested_format else table.file_format
            # Writing a million-row table takes seconds: each write renews the lease first.
            ctx.progress(f"{name}: writing", (index + 1) / len(groups))
            out.write_table(ResultKind.SHUFFLED, name, "shuffled", shuffled, fmt)
            out.write_table(ResultKind.UNSHUFFLED, name, "unshuffled", unshuffled, fmt)
            if name in series:
                _write_series_details(ctx, out, series[name], group, linked)
                continue
            ctx.progress(f"{name}: writing projections", (index + 1) / len(groups))
            _write_table_details(ctx, out, name, tables[name], group, linked, fmt, warnings[name])
    write_standard_part(ctx, out, seed=seed, drawn=drawn)


def _drawn_seed() -> int:
    """A fresh seed, in the range a user may give one."""
    return int(np.random.default_rng().integers(0, 2**31 - 1))


def _run_streamed(
    ctx: JobContext,
    out: ResultWriter,
    planned: TableGroup,
    tables: Mapping[str, AvatarizationParameters],
    seeding: tuple[int, bytes],
    requested_format: object,
    index: int,
    count: int,
) -> bool:
    """Run a lone table larger than one batch without holding it (:mod:`..streamed`); False
    when the group is linked, has series, or its table fits one batch (read whole then).
    ``seeding``: the run's seed and pseudonymization secret."""
    if len(planned.tables) != 1 or planned.links or planned.series:
        return False
    name = planned.tables[0]
    if tables[name].avatarization_processors_parameters:
        return False  # processors reorder records across batches: such a table is read whole
    dataset = ctx.dataset(name)
    rows = stored_rows(ctx.storage, dataset)
    if rows is None:
        return False
    chosen = tables[name]
    seed, secret = seeding
    run_streamed_table(
        ctx,
        out,
        name,
        rows,
        StreamSettings(
            k=chosen.k,
            ncp=chosen.ncp,
            column_weights=dict(chosen.column_weights) if chosen.column_weights else None,
            use_categorical_reduction=bool(chosen.use_categorical_reduction),
            imputation=imputation_settings(chosen.imputation),
            exclusion=exclusion_settings(chosen.exclude_variables),
        ),
        seed=seed,
        secret=secret,
        fmt=str(requested_format) if requested_format else dataset.format.value,
        progress=ctx.part(index, count, name),
    )
    return True


def _write_table_details(
    ctx: JobContext,
    out: ResultWriter,
    name: str,
    chosen: AvatarizationParameters,
    group: PreparedGroup,
    linked: LinkedTableResult,
    fmt: str,
    warnings: list[str],
) -> None:
    """Everything but the avatars themselves: projections, their plot sample, the metadata."""
    table, result = group.tables[name], linked.result
    out.write_table(
        ResultKind.ORIGINAL_PROJECTIONS,
        name,
        "projections.original",
        result.original_projections,
        fmt,
    )
    out.write_table(
        ResultKind.AVATAR_PROJECTIONS, name, "projections.avatars", result.avatar_projections, fmt
    )
    out.write_json(
        ResultKind.PROJECTION_SAMPLE,
        name,
        f"{escape_table_name(name)}.projection_sample.json",
        projection_sample(
            result.original_projections,
            result.avatar_projections,
            result.explained_variance_ratio,
            seed=result.seed,
            contributions=result.contributions,
            original_rows=table.data,
            avatar_rows=result.unshuffled,
        ),
    )
    links = [
        {
            "parent": link.parent,
            "parent_key": link.parent_key,
            "child": link.child,
            "child_key": link.child_key,
            "method": str(link.method),
        }
        for link in group.group.links
        if name in (link.parent, link.child)
    ]
    write_run_metadata(
        ctx,
        out,
        name,
        seed=result.seed,
        k=chosen.k,
        rows=len(table.data),
        prepared=table,
        batches=result.batches,
        explained_variance_ratio=result.explained_variance_ratio,
        formula_like=formula_like_counts(result.shuffled),
        warnings=warnings + result.warnings,
        links=links,
        individual_level=group.group.individual_level.get(name, True),
        sensitive_links=linked.sensitive,
    )


def _write_series_details(
    ctx: JobContext,
    out: ResultWriter,
    series: SeriesInput,
    group: PreparedGroup,
    linked: LinkedTableResult,
) -> None:
    """A series table's metadata: it has no projection of its own (its features are part of
    its person's), so only what was run and what came of it."""
    name, settings = series.name, series.settings
    table, result = group.tables[name], linked.result
    planned = next(item for item in group.group.series if item.name == name)
    persons = series.person_rows
    out.write_json(
        ResultKind.RUN_METADATA,
        name,
        f"{escape_table_name(name)}.run_metadata.json",
        {
            "table_name": name,
            "seed": result.seed,
            "rows": len(table.data),
            "avatar_rows": len(result.unshuffled),
            "persons": int(np.unique(persons).size),
            "columns": list(map(str, table.data.columns)),
            "time_column": planned.time,
            "time_series": {
                "projection": settings.projection,
                "nf": settings.nf or (DEFAULT_NF if settings.projection == "fpca" else None),
                "nb_points": settings.nb_points,
                "method": settings.method,
                "unalignment": settings.unalignment,
                "block_weight": settings.weight,
            },
            "set_aside_columns": table.dropped + ([table.primary_key] if table.primary_key else []),
            "identifying_columns": table.identifying_columns(ctx.table(name)),
            "formula_like_cells": formula_like_counts(result.shuffled),
            "individual_level": False,
            "links": [
                {
                    "parent": planned.link.parent,
                    "parent_key": planned.link.parent_key,
                    "child": name,
                    "child_key": planned.link.child_key,
                    "method": str(planned.link.method),
                }
            ],
            "sensitive_links": False,
            "warnings": result.warnings,
            "software_version": __version__,
        },
    )


def _privacy_options(
    chosen: PrivacyMetricsTableParameters | None, columns: pd.Index
) -> dict[str, Any]:
    """The table's privacy metrics settings, for a view that holds every column they name (an
    enriched view holds the table's own columns and more; a view without one of them measures
    with the defaults)."""
    options: dict[str, Any] = {}
    if chosen is None:
        return options
    if chosen.ncp is not None:
        options["ncp"] = chosen.ncp
    if chosen.column_weights:
        options["column_weights"] = dict(chosen.column_weights)
    if chosen.known_variables:
        options["known_variables"] = list(chosen.known_variables)
    if chosen.target:
        options["target"] = chosen.target
    if chosen.categorical_hidden_rate_variables:
        options["categorical_hidden_rate_variables"] = list(
            chosen.categorical_hidden_rate_variables
        )
    named = set(options.get("column_weights") or {}) | set(options.get("known_variables", []))
    named |= set(options.get("categorical_hidden_rate_variables", []))
    named |= {options["target"]} if "target" in options else set()
    if not named <= set(map(str, columns)):
        return {key: value for key, value in options.items() if key == "ncp"}
    return options


def _sensitive_links(group: PreparedGroup, name: str) -> list[str]:
    """The links into ``name`` that copy the original graph (flagged in its verdict)."""
    return [
        f"{link.parent}.{link.parent_key} -> {name}.{link.child_key}"
        for link in group.links_into(name)
        if link.method is LinkMethod.SENSITIVE_ORIGINAL_ORDER_ASSIGNMENT
    ]


def _view_privacy(
    view: MetricView,
    chosen: PrivacyMetricsTableParameters | None,
    *,
    seed: int,
    progress: Callable[[str, float], None],
) -> list[dict[str, Any]]:
    results = privacy_metrics(
        view.original,
        view.avatars,
        seed=seed,
        progress=progress,
        persons=view.persons,
        **_privacy_options(chosen, view.original.columns),
    )
    return to_official_dicts(
        results,
        view.table_name,
        computation_type=view.computation_type,
        reference=view.reference,
    )


def _measured_series(ctx: JobContext, group: MeasuredGroup) -> dict[str, MeasuredSeries]:
    """The group's series tables, each fitted as the avatarization fitted it."""
    return {
        planned.name: measured_series(group, planned, _series_input(ctx, group.group, planned))
        for planned in group.group.group.series
    }


def _series_privacy(
    group: MeasuredGroup,
    series: MeasuredSeries,
    chosen: PrivacyMetricsTableParameters | None,
    excluded: Mapping[str, list[str]],
    *,
    seed: int,
    progress: Callable[[str, float], None],
) -> list[dict[str, Any]]:
    """The ``person_and_series`` privacy of a series table: its parent's person rows (their
    own columns, as the standalone view takes them) with the series' features beside them,
    original person ``i`` against avatar person ``i``."""
    person, avatar_person = group.pairs[series.parent].without(excluded)
    view = MetricView(
        table_name=series.name,
        computation_type="person_and_series",
        reference=series.parent,
        original=person_and_series(person, series.original_features, series.name),
        avatars=person_and_series(avatar_person, series.avatar_features, series.name),
        persons=None,
    )
    return _view_privacy(view, chosen, seed=seed, progress=progress)


def _measured(
    ctx: JobContext,
) -> tuple[list[MeasuredGroup], dict[str, AvatarizationParameters]]:
    """What the metrics measure: the avatars the user brings when the run has any (it then
    avatarizes nothing), else those of the run's avatarization, with its parameters."""
    if brought_avatars(ctx.config):
        return brought_groups(ctx), {}
    avatarization = _avatarization(ctx)
    return measured_groups(ctx, ctx.dependency(JobKind.STANDARD), avatarization), avatarization


def _steps(
    ctx: JobContext, first: int, count: int, steps: int, label: str
) -> Callable[[str, float], None]:
    """A progress callback for ``count`` steps from step ``first`` of ``steps``."""

    def report(stage: str, fraction: float) -> None:
        ctx.progress(f"{label}: {stage}", (first + count * min(max(fraction, 0.0), 1.0)) / steps)

    return report


def _never_back(report: Callable[[str, float], None]) -> Callable[[str, float], None]:
    """``report`` with each fraction raised to the highest reported so far."""
    highest = 0.0

    def forward(stage: str, fraction: float) -> None:
        nonlocal highest
        highest = max(highest, fraction)
        report(stage, highest)

    return forward


def _audit_avatarizer(
    ctx: JobContext, seed: int, span: Callable[[str, float], None]
) -> GroupAvatarizer:
    """The run's avatarization of a group, for its audit release: its stages (at the run's
    k, then larger ones) are reported at the attacks' progress so far, which never goes back."""
    return group_avatarizer(
        _time_series(ctx),
        seed=seed,
        batch_rows=ctx.settings.batch_rows,
        progress=lambda stage, fraction: span(f"audit release: {stage}", 0.0),
    )


def run_privacy_metrics(ctx: JobContext, out: ResultWriter) -> None:
    document = ctx.config.privacy_metrics
    settings = dict(document.privacy_metrics or {}) if document is not None else {}
    seed = document.seed if document is not None and document.seed is not None else 0
    excluded = _excluded(settings)
    groups, avatarization = _measured(ctx)
    views = [privacy_views(group.tables(excluded)) if group.linked else {} for group in groups]
    series = [_measured_series(ctx, group) for group in groups]
    # One step per computation: a linked table is measured once per view of it.
    steps = sum(len(v) for found in views for v in found.values())
    steps += sum(len(group.pairs) for group, found in zip(groups, views, strict=True) if not found)
    steps += sum(len(found) for found in series)
    # The attacks are a step of their own for each table.
    steps += sum(len(group.pairs) for group in groups)
    done = 0
    linked: dict[str, list[dict[str, Any]]] = {}
    for group, found, measured in zip(groups, views, series, strict=True):
        attacked: dict[str, dict[str, Any]] = {}
        if group.linked:
            span = _never_back(
                _steps(ctx, done, len(group.pairs), steps, f"{', '.join(group.pairs)} (attacks)")
            )
            attacked = group_attacks(
                group,
                measured,
                avatarization,
                excluded,
                _audit_avatarizer(ctx, seed, span),
                seed=seed,
                progress=span,
            )
            done += len(group.pairs)
        for name, pair in group.pairs.items():
            if name in measured:
                planned = measured[name]
                label = f"{name} (person_and_series, {planned.parent})"
                official = _series_privacy(
                    group,
                    planned,
                    settings.get(planned.parent),
                    excluded,
                    seed=seed,
                    progress=ctx.part(done, steps, label),
                )
                done += 1
                linked[name] = official
            elif group.linked:
                official = []
                for view in found[name]:
                    label = f"{name} ({view.computation_type}, {view.reference})"
                    official += _view_privacy(
                        view, settings.get(name), seed=seed, progress=ctx.part(done, steps, label)
                    )
                    done += 1
                linked[name] = official
            else:
                original, avatars = pair.without(excluded)
                results = privacy_metrics(
                    original,
                    avatars,
                    seed=seed,
                    progress=ctx.part(done, steps, name),
                    **_privacy_options(settings.get(name), original.columns),
                )
                official = to_official_dicts(results, name)
                done += 1
                attacks = table_attacks(
                    pair.prepared,
                    _as_released(ctx, avatarization.get(name), name),
                    original,
                    avatars,
                    seed=seed,
                    progress=ctx.part(done, steps, f"{name} (attacks)"),
                    batch_rows=ctx.settings.batch_rows,
                )
                done += 1
            if group.linked:
                attacks = attacked[name]
            suffix = "privacy_metrics" if name in measured else "privacy"
            out.write_json(
                ResultKind.PRIVACY_METRICS,
                name,
                f"{escape_table_name(name)}.{suffix}.json",
                official,
            )
            out.write_json(
                ResultKind.PRIVACY_ATTACKS,
                name,
                f"{escape_table_name(name)}.attacks.json",
                attacks,
            )
            out.write_json(
                ResultKind.PRIVACY_VERDICT,
                name,
                f"{escape_table_name(name)}.verdict.json",
                table_verdict(
                    official,
                    pair.prepared,
                    pair.avatars,
                    avatarization[name].exclude_variables if name in avatarization else None,
                    sensitive_links=_sensitive_links(group.group, name),
                    set_aside=pair.set_aside,
                    attacks=attacks,
                ),
            )
    if linked:
        out.write_json(
            ResultKind.PRIVACY_METRICS_SUMMARY,
            None,
            "privacy_metrics_summary.json",
            summary_table(linked),
        )


def _excluded(
    settings: Mapping[str, PrivacyMetricsTableParameters | SignalMetricsTableParameters],
) -> dict[str, list[str]]:
    return {
        name: list(chosen.exclude_variables.variable_names)
        for name, chosen in settings.items()
        if chosen.exclude_variables is not None
    }


_SERIES_METRICS = (
    "pointwise_hellinger_mean",
    "pointwise_hellinger_std",
    "density_hellinger_mean",
    "density_hellinger_std",
)


def _write_series_signal(
    out: ResultWriter, series: MeasuredSeries, seed: int
) -> dict[str, float | None]:
    """A series table's signal metrics (per value variable, with their floor) and its two
    plot data files; returns its summary: each variable's pointwise Hellinger mean."""
    escaped = escape_table_name(series.name)
    try:
        metrics = series_signal_metrics(series.original, series.avatars, seed=seed)
    except ValueError as error:
        raise JobInputError(in_table(series.name, error)) from None
    entries = [
        {
            **{key: getattr(variable, key) for key in _SERIES_METRICS},
            "floor": dict(variable.floor),
            "metadata": {
                "table_name": series.name,
                "computation_type": "time_series",
                "reference": variable.variable,
            },
        }
        for variable in metrics
    ]
    entries = json_safe(entries)
    out.write_json(
        ResultKind.SIGNAL_METRICS, series.name, f"{escaped}.signal_metrics.json", entries
    )
    out.write_json(
        ResultKind.RAW_SERIES,
        series.name,
        f"{escaped}.raw_series.json",
        raw_series_plot(series.original, series.avatars, seed=seed),
    )
    out.write_json(
        ResultKind.NORMALIZED_SERIES,
        series.name,
        f"{escaped}.normalized_series.json",
        normalized_series_plot(series.original, series.avatars),
    )
    return {entry["metadata"]["reference"]: entry["pointwise_hellinger_mean"] for entry in entries}


def run_signal_metrics(ctx: JobContext, out: ResultWriter) -> None:
    document = ctx.config.signal_metrics
    seed = document.seed if document is not None and document.seed is not None else 0
    excluded = _excluded(dict(document.signal_metrics or {}) if document else {})
    groups, _ = _measured(ctx)
    count = sum(len(group.pairs) for group in groups)
    done = 0
    linked: dict[str, list[dict[str, Any]]] = {}
    series_summary: dict[str, dict[str, float | None]] = {}
    relations: list[dict[str, Any]] = []
    for group in groups:
        tables = group.tables(excluded) if group.linked else None
        views = signal_views(tables) if tables is not None else {}
        series = _measured_series(ctx, group)
        for name, pair in group.pairs.items():
            if name in series:
                ctx.progress(f"{name}: series signal", done / count)
                series_summary[name] = _write_series_signal(out, series[name], seed)
                done += 1
                continue
            original, avatars = pair.without(excluded)
            ctx.progress(f"{name}: signal", done / count)
            if tables is not None:
                official = []
                for view in views[name]:
                    official += to_official_dicts(
                        signal_metrics(view.original, view.avatars),
                        name,
                        computation_type=view.computation_type,
                        reference=view.reference,
                    )
                linked[name] = official
            else:
                official = to_official_dicts(signal_metrics(original, avatars), name)
            out.write_json(
                ResultKind.SIGNAL_METRICS, name, f"{escape_table_name(name)}.signal.json", official
            )
            ctx.progress(f"{name}: comparisons", (done + 0.5) / count)
            out.write_json(
                ResultKind.VARIABLE_COMPARISONS,
                name,
                f"{escape_table_name(name)}.comparisons.json",
                variable_comparisons(original, avatars),
            )
            ctx.progress(f"{name}: correlations", (done + 0.75) / count)
            out.write_json(
                ResultKind.CORRELATIONS,
                name,
                f"{escape_table_name(name)}.correlations.json",
                associations(original, avatars, seed=seed),
            )
            done += 1
        if tables is not None:
            relations += [relation_utility(tables, r) for r in group.group.relations()]
    if linked or series_summary:
        out.write_json(
            ResultKind.SIGNAL_METRICS_SUMMARY,
            None,
            "signal_metrics_summary.json",
            summary_table(linked) | series_summary,
        )
        out.write_json(ResultKind.RELATIONS, None, "relations.json", relations)


def run_advice(ctx: JobContext, out: ResultWriter) -> None:
    tables = [table.name for table in ctx.config.schema.tables]
    for index, name in enumerate(tables):
        ctx.progress(f"{name}: advice", index / len(tables))
        data = ctx.prepared(name).data
        try:
            advice = advise(data)
            summary = table_summary(data)
        except ValueError as error:
            raise JobInputError(in_table(name, error)) from None
        body = advice.to_dict()
        imputation = body.pop("imputation")
        body["imputation"] = {"method": imputation} if imputation else None
        body["summary"] = {"stats": summary}
        out.write_json(
            ResultKind.ADVICE,
            name,
            f"{escape_table_name(name)}.advice.json",
            [{"table_name": name, "advice": body}],
        )


def _upstream(ctx: JobContext, job: Job, kind: str) -> Job:
    """The finished ``kind`` job that ``job`` was computed from (the standard job behind the
    metrics), so the report describes the avatars its metrics measured even when the run was
    avatarized again since; the run's latest one when the link is not recorded."""
    with ctx.sessions() as db:
        found = db.scalars(
            select(Job).where(
                Job.user_id == ctx.job.user_id,
                Job.name.in_(list(job.depends_on or ())),
                Job.kind == kind,
                Job.status == JobStatus.DONE,
            )
        ).first()
        if found is not None:
            db.expunge(found)
            return found
    return ctx.dependency(kind)


def _as_released(
    ctx: JobContext, chosen: AvatarizationParameters | None, name: str
) -> AvatarizationParameters | None:
    """``chosen`` with the axes the release searched on when it set no ncp (its metadata has
    one explained share per axis), so the audit replays the release's count instead of
    deciding it again on its share of the rows (``engine.axes``)."""
    if chosen is None or chosen.ncp is not None:
        return chosen
    metadata = _optional_json(ctx, ctx.dependency(JobKind.STANDARD), ResultKind.RUN_METADATA, name)
    shares = (metadata or {}).get("explained_variance_ratio")
    return replace(chosen, ncp=len(shares)) if shares else chosen


def _optional_json(ctx: JobContext, job: Job, kind: str, table: str | None) -> Any:
    """A result the report can do without (plot data from an older server), or None."""
    if not ctx.result_entries(job, kind, table):
        return None
    return ctx.read_result_json(job, kind, table)


def _report_document(ctx: JobContext) -> ReportParameters:
    for document in ctx.config.reports:
        if report_name(document.report_type) == ctx.job.parameters_name:
            return document
    raise JobInputError(f"the run has no report document {ctx.job.parameters_name!r}")


def _max_distribution_plots(ctx: JobContext, document: ReportParameters) -> int:
    """From the report's results block, else the avatarization's, else the default."""
    for results in (document.results, ctx.config.parameters and ctx.config.parameters.results):
        if results and results.max_distribution_plots is not None:
            return results.max_distribution_plots
    return DEFAULT_MAX_DISTRIBUTION_PLOTS


def _relations(
    ctx: JobContext, signal_job: Job, privacy_of: Mapping[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Each link's utility figures, with the person-level hidden rate of its child rows with
    respect to the parent when the parent is individual-level (the privacy of the relation)."""
    relations: list[dict[str, Any]] = _optional_json(ctx, signal_job, ResultKind.RELATIONS, None)
    for relation in relations or []:
        for view in privacy_of.get(str(relation.get("child")), []):
            metadata = view.get("metadata") or {}
            if metadata.get("computation_type") == "to_bottom_id_propagated" and metadata.get(
                "reference"
            ) == relation.get("parent"):
                relation["privacy"] = {
                    "hidden_rate": view.get("hidden_rate"),
                    "computation_type": metadata["computation_type"],
                    "reference": metadata["reference"],
                }
    return relations or []


def _series_results(
    ctx: JobContext, planned: SeriesTable, jobs: tuple[Job, Job, Job], progress: float
) -> SeriesResults:
    """What the report shows of a series table: its metadata (settings in effect, rows,
    persons) from the standard job, its per-variable signal list and plot data from the
    signal job, its person-and-series privacy entry, attacks and verdict from the privacy job."""
    privacy_job, signal_job, standard_job = jobs
    name = planned.name
    ctx.progress(f"{name}: reading results", progress)
    raw, normalized = (
        _optional_json(ctx, signal_job, kind, name)
        for kind in (ResultKind.RAW_SERIES, ResultKind.NORMALIZED_SERIES)
    )
    return SeriesResults(
        name=name,
        parent=planned.link.parent,
        privacy=ctx.read_result_json(privacy_job, ResultKind.PRIVACY_METRICS, name)[0],
        signal=ctx.read_result_json(signal_job, ResultKind.SIGNAL_METRICS, name),
        run_metadata=_optional_json(ctx, standard_job, ResultKind.RUN_METADATA, name),
        verdict=_optional_json(ctx, privacy_job, ResultKind.PRIVACY_VERDICT, name),
        raw_plot=raw,
        normalized_plot=normalized,
        attacks=_optional_json(ctx, privacy_job, ResultKind.PRIVACY_ATTACKS, name),
    )


def run_report(ctx: JobContext, out: ResultWriter) -> None:
    """The report of the run in HTML and PDF (same content): ``report.html``/``report.pdf``
    for the basic report, ``report_pia.*`` for the privacy-impact one, in the document's
    language; the privacy-impact one also as an editable Word document (``report_pia.docx``)
    for the DPO to complete and sign. A run of several tables gets one privacy-impact document
    per table (``report_pia.<table>.*``, the table named in the result's entry). Every format
    is always written, whatever ``output_format`` names: they cost little, and a reader may
    need any (``output_format: docx`` is refused for the basic report, which has no DOCX). A
    series table is shown with its persons' table (in that table's privacy-impact document):
    it has no document of its own, its people being its parent's."""
    document = _report_document(ctx)
    privacy_job = ctx.dependency(JobKind.PRIVACY_METRICS)
    signal_job = ctx.dependency(JobKind.SIGNAL_METRICS)
    standard_job = _upstream(ctx, privacy_job, JobKind.STANDARD)
    tables = []
    names = list(_avatarization(ctx).items())
    planned_series = [s for s in series_tables(ctx.config.schema) if s.link.parent in dict(names)]
    reads = len(names) + len(planned_series)
    privacy_of: dict[str, list[dict[str, Any]]] = {}
    for index, (name, chosen) in enumerate(names):
        ctx.progress(f"{name}: reading results", 0.1 * index / reads)
        privacy = ctx.read_result_json(privacy_job, ResultKind.PRIVACY_METRICS, name)
        privacy_of[name] = privacy
        signal = ctx.read_result_json(signal_job, ResultKind.SIGNAL_METRICS, name)
        tables.append(
            TableResults(
                name=name,
                parameters=chosen,
                privacy=privacy[0],
                signal=signal[0],
                run_metadata=_optional_json(ctx, standard_job, ResultKind.RUN_METADATA, name),
                comparisons=_optional_json(ctx, signal_job, ResultKind.VARIABLE_COMPARISONS, name)
                or [],
                correlations=_optional_json(ctx, signal_job, ResultKind.CORRELATIONS, name),
                projection=_optional_json(ctx, standard_job, ResultKind.PROJECTION_SAMPLE, name),
                verdict=_optional_json(ctx, privacy_job, ResultKind.PRIVACY_VERDICT, name),
                attacks=_optional_json(ctx, privacy_job, ResultKind.PRIVACY_ATTACKS, name),
            )
        )
    data = ReportData(
        run_name=ctx.config.display_name,
        tables=tables,
        report_type=str(document.report_type),
        language=str(document.language),
        pia=ctx.config.metadata.pia_metadata,
        approver=ctx.config.metadata.approver,
        max_distribution_plots=_max_distribution_plots(ctx, document),
        software_version=__version__,
        relations=_relations(ctx, signal_job, privacy_of),
        series=[
            _series_results(
                ctx,
                planned,
                (privacy_job, signal_job, standard_job),
                0.1 * (len(names) + index) / reads,
            )
            for index, planned in enumerate(planned_series)
        ],
    )
    manifest = run_manifest(ctx, (standard_job, privacy_job, signal_job), _this_job(ctx))
    out.write_json(ResultKind.RELEASE_MANIFEST, None, MANIFEST_FILE, manifest)
    data.manifest = manifest
    base = ctx.job.parameters_name
    figures = StoredFigures(ctx.storage, ctx.job.user_id, signal_job.name)
    if document.report_type is ReportType.PIA and len(tables) > 1:
        # A privacy-impact assessment is signed per processing of one table's people: one
        # document per table, with the links it takes part in. Drawn last table first: the
        # basic report, drawn at the same time by another job, starts with the first, so each
        # job finds in the shared figures what the other already drew. Written in the
        # schema's order all the same.
        documents: dict[str, RenderedReport] = {}
        for index, table in enumerate(reversed(tables)):
            part = replace(
                data,
                tables=[table],
                relations=[
                    r for r in data.relations if table.name in (r.get("parent"), r.get("child"))
                ],
                series=[series for series in data.series if series.parent == table.name],
            )
            shown = [table.name, *(series.name for series in part.series)]
            part.manifest = tables_manifest(manifest, shown)
            progress = ctx.part(index, len(tables), table.name)
            documents[table.name] = _render_report(progress, part, figures)
        for table in tables:
            stem = f"{base}.{escape_table_name(table.name)}"
            _write_report(out, documents[table.name], stem, table.name)
        return
    _write_report(out, _render_report(ctx.progress, data, figures), base, None)


def _this_job(ctx: JobContext) -> Job | None:
    """The running job's row (detached), for the manifest's list of jobs."""
    with ctx.sessions() as db:
        found = db.get(Job, ctx.job.name)
        if found is not None:
            db.expunge(found)
        return found


@dataclass(frozen=True)
class RenderedReport:
    """One report document in each of its formats; ``docx`` only for a privacy-impact one."""

    html: str
    pdf: bytes
    docx: bytes | None


def _render_report(
    progress: Callable[[str, float], None], data: ReportData, figures: StoredFigures
) -> RenderedReport:
    """One report in HTML, PDF and, for a privacy-impact document, DOCX, all from one
    context: figures are most of the work (0.1-0.8), then the PDF and the DOCX."""
    context = build_context(data, lambda stage, done: progress(stage, 0.1 + 0.7 * done), figures)
    page = render_page(context)
    progress("pdf", 0.8)
    pdf = render_pdf(page)
    docx = None
    if data.report_type == ReportType.PIA:
        progress("docx", 0.95)
        docx = render_docx(context)
    return RenderedReport(page, pdf, docx)


def _write_report(
    out: ResultWriter, document: RenderedReport, stem: str, table: str | None
) -> None:
    out.write(ResultKind.REPORT, table, f"{stem}.html", document.html.encode(), "html")
    out.write(ResultKind.REPORT, table, f"{stem}.pdf", document.pdf, "pdf")
    if document.docx is not None:
        out.write(ResultKind.REPORT, table, f"{stem}.docx", document.docx, "docx")


def _with_manifest_part(handler: Handler, write_part: Handler) -> Handler:
    """``handler``, then its part of the release manifest, made from what it wrote."""

    def run(ctx: JobContext, out: ResultWriter) -> None:
        handler(ctx, out)
        write_part(ctx, out)

    run.__doc__ = handler.__doc__
    return run


HANDLERS: dict[JobKind, Handler] = {
    JobKind.STANDARD: run_standard,
    JobKind.PRIVACY_METRICS: _with_manifest_part(run_privacy_metrics, write_privacy_part),
    JobKind.SIGNAL_METRICS: _with_manifest_part(run_signal_metrics, write_signal_part),
    JobKind.ADVICE: run_advice,
    JobKind.REPORT: run_report,
}
