"""How a job avatarizes one prepared group of tables: the engine's inputs made from the run's
parameters (each table's options and links, each series table's settings), the processors
applied, and the engine called. The standard job releases what this makes; the privacy job's
audit of a linked or series group (:mod:`group_audit`) makes its audit release with the very
same function (:func:`group_avatarizer`), so the audit is made the way the release was."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from avatar_server.engine.linked import (
    LinkedTableResult,
    SeriesInput,
    TableInput,
    avatarize_group,
)
from avatar_server.engine.processors import ProcessorChain
from avatar_server.engine.series_settings import SeriesSettings
from avatar_server.jobs.batches import current_mapper
from avatar_server.jobs.context import JobInputError
from avatar_server.jobs.groups import PreparedGroup
from avatar_server.jobs.parameters import avatarize_options
from avatar_server.jobs.processing import apply_processors
from avatar_yaml import AvatarizationParameters, SeriesTable, TimeSeriesParameters

Progress = Callable[[str, float], None]

GroupAvatarizer = Callable[
    [PreparedGroup, Mapping[str, AvatarizationParameters]],
    tuple[dict[str, LinkedTableResult], dict[str, ProcessorChain]],
]
"""A group's avatarization with the given parameters: each table's result and the processor
chains that undo its processors (the group's tables are replaced by their processed copies)."""


def in_table(name: str, error: Exception) -> str:
    """The error's reason, prefixed with the table it is about (once)."""
    reason = str(error)
    prefix = f"table {name!r}"
    return reason if reason.startswith(prefix) else f"{prefix}: {reason}"


def table_input(name: str, group: PreparedGroup, chosen: AvatarizationParameters) -> TableInput:
    """One table as the engine takes it: its data, where its parents are, its parameters."""
    return TableInput(
        name=name,
        data=group.tables[name].data,
        parent_rows={
            link.child_key: group.parent_rows[(name, link.child_key)]
            for link in group.links_into(name)
        },
        options=avatarize_options(chosen),
    )


def series_settings(chosen: TimeSeriesParameters | None) -> SeriesSettings:
    """The YAML settings as the engine's (unset fields take the engine's defaults)."""
    given: dict[str, Any] = {}
    projection = chosen.projection if chosen else None
    alignment = chosen.alignment if chosen else None
    if projection is not None:
        if projection.projection_type is not None:
            given["projection"] = str(projection.projection_type)
        if projection.nf is not None:
            given["nf"] = projection.nf
        if projection.block_weight is not None:
            given["block_weight"] = projection.block_weight
    if alignment is not None:
        if alignment.nb_points is not None:
            given["nb_points"] = alignment.nb_points
        if alignment.method is not None:
            given["method"] = str(alignment.method)
        if alignment.unalignment is not None:
            given["unalignment"] = str(alignment.unalignment)
    return SeriesSettings(**given)


def series_input(
    group: PreparedGroup, planned: SeriesTable, chosen: TimeSeriesParameters | None
) -> SeriesInput:
    """A series table as the engine takes it: its time and value columns, each row's person
    (its parent's row) and its settings (``chosen``: the run's ``time_series`` block for it)."""
    table = group.tables[planned.name]
    if table.pseudonymized:
        raise JobInputError(
            f"table {planned.name!r}: columns {sorted(table.pseudonymized)} are pseudonymized, "
            "which a series table does not support yet (its avatar rows are made anew, with no "
            "original row to take a pseudonym from): drop them"
        )
    try:
        settings = series_settings(chosen)
    except ValueError as error:
        raise JobInputError(in_table(planned.name, error)) from None
    return SeriesInput(
        name=planned.name,
        data=table.data,
        time=planned.time,
        parent=planned.link.parent,
        person_rows=group.parent_rows[(planned.name, planned.link.child_key)],
        settings=settings,
    )


def avatarize_prepared_group(
    group: PreparedGroup,
    tables: Mapping[str, AvatarizationParameters],
    series: Sequence[SeriesInput],
    *,
    seed: int | None,
    batch_rows: int,
    progress: Progress,
) -> dict[str, LinkedTableResult]:
    """The engine's avatarization of ``group`` (processors already applied), an error the
    user can fix a :class:`JobInputError` naming the table."""
    inputs = [
        table_input(name, group, tables[name])
        for name in group.group.tables
        if name not in group.series_names
    ]
    try:
        return avatarize_group(
            inputs,
            group.relations(),
            series=series,
            seed=seed,
            progress=progress,
            batch_rows=batch_rows,
            map_batches=current_mapper(),
        )
    except ValueError as error:
        names = list(group.group.tables)
        if len(names) == 1:
            raise JobInputError(in_table(names[0], error)) from None
        raise JobInputError(str(error)) from None


def group_avatarizer(
    time_series: Mapping[str, TimeSeriesParameters],
    *,
    seed: int | None,
    batch_rows: int,
    progress: Progress,
) -> GroupAvatarizer:
    """The avatarization of a group as the standard job makes it: its series inputs (with
    ``time_series``, the run's settings per series table), its processors, the engine call."""

    def avatarize(
        group: PreparedGroup, tables: Mapping[str, AvatarizationParameters]
    ) -> tuple[dict[str, LinkedTableResult], dict[str, ProcessorChain]]:
        series = [
            series_input(group, item, time_series.get(item.name)) for item in group.group.series
        ]
        try:
            processors = apply_processors(group, tables)
        except ValueError as error:
            raise JobInputError(str(error)) from None
        results = avatarize_prepared_group(
            group, tables, series, seed=seed, batch_rows=batch_rows, progress=progress
        )
        return results, processors

    return avatarize
