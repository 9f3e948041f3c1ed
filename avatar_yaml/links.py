"""How a run's linked tables are avatarized together: its groups of tables and their order.

Links are declared on the parent table (its primary key to a child's foreign key). Tables joined
by links, directly or not, form a group, avatarized as one unit (parents first, since children
are avatarized with their parents' context and then re-attached to avatar parents); a table with
no link is a group of its own. Several groups and single tables may share one run and its seed.

A series table (a time column, linked with ``time_series`` from its person's table) is a child
of its group like any other, but it is not avatarized on its own: its curves become features
of its parent's persons, avatarized once with the parent's own columns (:class:`SeriesTable`).

:func:`table_groups` plans a schema that passed :mod:`avatar_yaml.rules` (no cycle, every link
from a primary key to a declared foreign key...): it does not check again.
"""

from __future__ import annotations

from dataclasses import dataclass

from avatar_yaml.documents import Schema
from avatar_yaml.vocabulary import LinkMethod

__all__ = ["PlannedLink", "SeriesTable", "TableGroup", "series_tables", "table_groups"]


@dataclass(frozen=True)
class PlannedLink:
    """One parent-child link: the parent's primary key to the child's foreign key."""

    parent: str
    parent_key: str
    child: str
    child_key: str
    method: LinkMethod


@dataclass(frozen=True)
class SeriesTable:
    """A series table: its ``time`` column, and the ``link`` from its person's table (its
    parent, through the one foreign key ``link.child_key``)."""

    name: str
    time: str
    link: PlannedLink


@dataclass(frozen=True)
class TableGroup:
    """Tables avatarized together. ``tables`` in topological order (every parent before its
    children; ties by schema order); ``links`` inside the group in schema order;
    ``individual_level`` resolved per table (omitted: True for a table with no parent, False
    otherwise); ``series``: the group's series tables, in schema order (also in ``tables``
    and ``links``)."""

    tables: tuple[str, ...]
    links: tuple[PlannedLink, ...]
    individual_level: dict[str, bool]
    series: tuple[SeriesTable, ...] = ()


def planned_links(schema: Schema) -> list[PlannedLink]:
    """Every link of the schema, in schema order (tables, then each table's links)."""
    return [
        PlannedLink(
            parent=table.name,
            parent_key=link.field,
            child=link.to.table,
            child_key=link.to.field,
            method=link.method,
        )
        for table in schema.tables
        for link in table.links or []
    ]


def series_tables(schema: Schema) -> list[SeriesTable]:
    """The schema's series tables linked with ``time_series`` (a time column without that
    link is refused by the rules), in schema order."""
    links = {link.child: link for link in planned_links(schema)}
    found = []
    for table in schema.tables:
        times = [column.field for column in table.columns or [] if column.time_series_time]
        link = links.get(table.name)
        if times and link is not None and link.method is LinkMethod.TIME_SERIES:
            found.append(SeriesTable(name=table.name, time=times[0], link=link))
    return found


def resolved_individual_level(schema: Schema) -> dict[str, bool]:
    """Each table's ``individual_level``; omitted, a table with no parent holds one person per
    row (True), a child holds several rows per person (False)."""
    children = {link.child for link in planned_links(schema)}
    return {
        table.name: (
            table.individual_level
            if table.individual_level is not None
            else table.name not in children
        )
        for table in schema.tables
    }


def _components(names: list[str], links: list[PlannedLink]) -> list[list[str]]:
    """The tables joined by links, each component in schema order, components in the schema
    order of their first table."""
    root = {name: name for name in names}

    def find(name: str) -> str:
        while root[name] != name:
            root[name] = root[root[name]]
            name = root[name]
        return name

    for link in links:
        if link.parent in root and link.child in root:
            root[find(link.child)] = find(link.parent)
    members: dict[str, list[str]] = {}
    for name in names:
        members.setdefault(find(name), []).append(name)
    return sorted(members.values(), key=lambda group: names.index(group[0]))


def _topological(tables: list[str], links: list[PlannedLink]) -> list[str]:
    """Parents before children; among tables ready at once, the first in schema order. A
    cycle (refused by the rules) leaves its tables at the end in schema order."""
    parents = {name: {link.parent for link in links if link.child == name} for name in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            ordered.extend(t for t in tables if t not in ordered)
            break
        ordered.append(ready[0])
    return ordered


def table_groups(schema: Schema) -> list[TableGroup]:
    """The schema's groups of linked tables (a table with no link alone), in schema order of
    their first table; see :class:`TableGroup`."""
    names = [table.name for table in schema.tables]
    links = planned_links(schema)
    individual = resolved_individual_level(schema)
    series = series_tables(schema)
    groups = []
    for members in _components(names, links):
        inside = [link for link in links if link.parent in members]
        ordered = _topological(members, inside)
        groups.append(
            TableGroup(
                tables=tuple(ordered),
                links=tuple(inside),
                individual_level={name: individual[name] for name in ordered},
                series=tuple(table for table in series if table.name in members),
            )
        )
    return groups
