"""A run's tables as the groups they are avatarized in: linked tables together, each single
table alone, with the rows every foreign key points to.

The schema's rules have checked the graph (no cycle, keys declared, every foreign key linked);
what needs the data is checked here, against the very rows the job reads: a foreign key value
that no parent row holds cannot be re-attached, and is refused with the table and column named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.linked import Relation
from avatar_server.jobs.context import JobInputError
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import (
    AvatarizationParameters,
    LinkMethod,
    PlannedLink,
    Schema,
    TableGroup,
    table_groups,
)

RowPositions = np.ndarray[Any, np.dtype[np.intp]]


@dataclass
class PreparedGroup:
    """The prepared tables of one group (parents first) and, per link, the position in the
    parent's rows of each child row's parent."""

    group: TableGroup
    tables: dict[str, PreparedTable]
    parent_rows: dict[tuple[str, str], RowPositions]

    @property
    def linked(self) -> bool:
        return bool(self.group.links)

    def relations(self) -> list[Relation]:
        """The links the engine re-attaches with: every link but a series table's, whose
        rows are made for each avatar person instead."""
        return [
            relation_of(link) for link in self.group.links if link.method != LinkMethod.TIME_SERIES
        ]

    @property
    def series_names(self) -> set[str]:
        return {series.name for series in self.group.series}

    def links_into(self, table: str) -> list[PlannedLink]:
        return [link for link in self.group.links if link.child == table]


def relation_of(link: PlannedLink) -> Relation:
    """The engine's view of a schema link (the methods it re-attaches with)."""
    return Relation(
        parent=link.parent,
        child=link.child,
        child_key=link.child_key,
        method=str(link.method),  # type: ignore[arg-type]
    )


def avatarized_groups(
    schema: Schema, avatarization: Mapping[str, AvatarizationParameters]
) -> list[TableGroup]:
    """The groups whose tables have avatarization parameters. A linked table is avatarized
    with its whole group (its children are re-attached to its avatars): a group where only
    some tables have parameters is refused, naming those that lack them."""
    groups = []
    for group in table_groups(schema):
        series = {table.name for table in group.series}  # avatarized with their person
        chosen = [name for name in group.tables if name in avatarization]
        if not chosen:
            continue
        missing = [n for n in group.tables if n not in avatarization and n not in series]
        if missing:
            raise JobInputError(
                f"tables {list(group.tables)} are linked and avatarized together, but "
                f"{missing} have no avatarization parameters: call set_parameters for each"
            )
        groups.append(group)
    return groups


def parent_positions(parent_keys: pd.Series, child_keys: pd.Series) -> RowPositions | None:
    """The position in ``parent_keys`` of each value of ``child_keys`` (-1: none holds it),
    or None when the parent keys are not unique and present (a position would be ambiguous)."""
    keys = pd.Index(parent_keys)
    if not keys.is_unique or keys.hasnans:
        return None
    found: RowPositions = keys.get_indexer(child_keys).astype(np.intp)
    return found


def key_positions(parent: PreparedTable, child: PreparedTable, link: PlannedLink) -> RowPositions:
    """The position in ``parent``'s rows of the parent of each ``child`` row: a foreign key
    value no parent holds (or a missing one) is refused, naming how many and some."""
    values = child.keys[link.child_key]
    positions = parent_positions(parent.keys[link.parent_key], values)
    if positions is None:
        raise JobInputError(
            f"table {link.parent!r}: primary key {link.parent_key!r} has duplicate or missing "
            "values: each row needs its own key"
        )
    orphans = positions < 0
    if orphans.any():
        examples = pd.unique(values[orphans].astype(object))[:3].tolist()
        raise JobInputError(
            f"table {link.child!r}: column {link.child_key!r} has {int(orphans.sum())} value(s) "
            f"that no row of {link.parent!r} holds in {link.parent_key!r} (e.g. {examples}): "
            "remove those rows or fix the keys"
        )
    return positions


def prepare_group(group: TableGroup, prepared: Mapping[str, PreparedTable]) -> PreparedGroup:
    """The group's tables and where each foreign key points."""
    tables = {name: prepared[name] for name in group.tables}
    rows = {
        (link.child, link.child_key): key_positions(tables[link.parent], tables[link.child], link)
        for link in group.links
    }
    return PreparedGroup(group=group, tables=tables, parent_rows=rows)
