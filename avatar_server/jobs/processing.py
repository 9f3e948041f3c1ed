"""The server-side processors of a run's tables (``avatarization_processors_parameters``):
built from the parameters, applied to each table before avatarization, and kept so that the
release undoes them (:mod:`avatar_server.engine.processors`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from avatar_server.engine.processors import (
    InterRecordRangeDifference,
    ProcessorChain,
    RelativeDifference,
)
from avatar_server.jobs.groups import PreparedGroup
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import (
    AvatarizationParameters,
    InterRecordRangeDifferenceParameters,
    RelativeDifferenceParameters,
)


def _individuals(table: PreparedTable, column: str) -> pd.Series:
    """The original values of an individual column, wherever the preparation put it: among
    the avatarized columns, the keys, or the columns set aside for pseudonyms."""
    if column in table.data.columns:
        return table.data[column]
    if column in table.keys:
        return table.keys[column]
    if column in table.pseudonymized:
        return table.pseudonymized[column][0]
    raise ValueError(
        f"the individual column {column!r} of an inter-record processor is not in the table "
        "the job reads (dropped?): keep it, or declare it a key or pseudonymized"
    )


def table_processors(table: PreparedTable, chosen: AvatarizationParameters) -> ProcessorChain:
    """The table's processors in the order the parameters list them."""
    made: list[RelativeDifference | InterRecordRangeDifference] = []
    for given in chosen.avatarization_processors_parameters or []:
        if isinstance(given, RelativeDifferenceParameters):
            made.append(
                RelativeDifference(given.target, list(given.references), given.scaling_unit or 1)
            )
        elif isinstance(given, InterRecordRangeDifferenceParameters):
            made.append(
                InterRecordRangeDifference(
                    given.id_variable,
                    given.target_start_variable,
                    given.target_end_variable,
                    ids=_individuals(table, given.id_variable),
                )
            )
        else:  # pragma: no cover - the YAML reader knows no other kind
            raise TypeError(f"unknown processor {given!r}")
    return ProcessorChain(made)


def apply_processors(
    group: PreparedGroup, tables: Mapping[str, AvatarizationParameters]
) -> dict[str, ProcessorChain]:
    """Replace each table of the group that has processors by its processed copy, and return
    the chains that undo them. A ValueError names the table and what to change."""
    chains: dict[str, ProcessorChain] = {}
    for name, table in list(group.tables.items()):
        chosen = tables.get(name)
        if chosen is None or not chosen.avatarization_processors_parameters:
            continue
        if name in group.series_names:
            raise ValueError(
                f"table {name!r}: processors apply to a table of records, not to a series "
                "table: remove avatarization_processors_parameters"
            )
        chain = table_processors(table, chosen)
        try:
            data = chain.preprocess(table.data)
        except ValueError as error:
            raise ValueError(f"table {name!r}: {error}") from None
        group.tables[name] = replace(table, data=data)
        chains[name] = chain
    return chains
