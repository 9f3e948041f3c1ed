"""Which table each unlinked foreign key most likely refers to, from names and upload facts.

The advice reads no data: only the tables' and columns' names and what the upload recorded of
each column (its type and distinct values). A foreign key can only refer to a table with a
declared primary key of a compatible type holding at least as many distinct values as the
foreign key does; the run's links must also stay acyclic, and a parent links a child once.
Among the tables left, a proposal is

- ``high`` when only one table is possible, or when the names match (``patient_id`` and a table
  ``patient``/``patients``, or a key of the same name);
- ``medium`` when the foreign key's name contains the parent table's name (``main_doctor_ref``
  for ``doctor``);
- ``low`` otherwise, when one table is still the only best guess.

A foreign key with no possible table, or with several equally likely, is reported unlinked,
with its candidate tables, for the user to link by hand. A series table's key (a table with a
time column) is proposed with ``time_series``, the only method a series is linked by.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from avatar_yaml.documents import Schema, TableInfo
from avatar_yaml.links import planned_links
from avatar_yaml.rules import TableFacts
from avatar_yaml.vocabulary import LinkMethod

__all__ = ["AdvisedLink", "TablesLinksAdvice", "UnlinkedForeignKey", "advise_links"]

_RANK = {"high": 3, "medium": 2, "low": 1}
_NUMERIC = {"int64", "float64"}
_KEY_AFFIXES = re.compile(r"^(id|fk|pk|ref|key|num|no|code)_+|_+(id|fk|pk|ref|key|num|no|code)$")


@dataclass(frozen=True)
class AdvisedLink:
    """A proposed link, ready for ``add_link``."""

    parent_table: str
    parent_field: str
    child_table: str
    child_field: str
    method: LinkMethod = LinkMethod.LINEAR_SUM_ASSIGNMENT
    confidence: str = "low"


@dataclass(frozen=True)
class UnlinkedForeignKey:
    """A foreign key the advice could not place; ``candidate_tables`` are the tables it may
    refer to (none: no table of the run can hold its values)."""

    table: str
    field: str
    candidate_tables: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class TablesLinksAdvice:
    links: list[AdvisedLink]
    unlinked_foreign_keys: list[UnlinkedForeignKey]


def _normalized(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _stem(name: str) -> str:
    """A key's name without its key affix: ``patient_id`` -> ``patient``."""
    normalized = _normalized(name)
    stripped = _KEY_AFFIXES.sub("", normalized)
    return stripped or normalized


def _singular(name: str) -> str:
    normalized = _normalized(name)
    if normalized.endswith("ies") and len(normalized) > 4:
        return normalized[:-3] + "y"
    if normalized.endswith("s") and not normalized.endswith("ss") and len(normalized) > 3:
        return normalized[:-1]
    return normalized


def _primary_key(table: TableInfo) -> str | None:
    keys = [column.field for column in table.columns or [] if column.primary_key]
    return keys[0] if keys else None


def _compatible(child: str, parent: str) -> bool:
    return child == parent or {child, parent} <= _NUMERIC or "empty" in (child, parent)


def _names_match(foreign_key: str, parent: str, parent_key: str) -> bool:
    stem = _stem(foreign_key)
    return _normalized(foreign_key) == _normalized(parent_key) or stem in (
        _normalized(parent),
        _singular(parent),
    )


def _contains_parent(foreign_key: str, parent: str) -> bool:
    name = _normalized(foreign_key)
    return any(len(word) >= 3 and word in name for word in (_normalized(parent), _singular(parent)))


def _reaches(links: list[tuple[str, str]], start: str, goal: str) -> bool:
    """Whether ``goal`` is ``start`` or one of its descendants along ``links`` (parent, child)."""
    seen, waiting = set(), [start]
    while waiting:
        name = waiting.pop()
        if name == goal:
            return True
        if name not in seen:
            seen.add(name)
            waiting.extend(child for parent, child in links if parent == name)
    return False


def _possible_parents(
    schema: Schema,
    facts: Mapping[str, TableFacts],
    child: str,
    foreign_key: str,
    edges: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    """The tables (and their primary keys) the foreign key may refer to."""
    child_facts = facts.get(child)
    fk = child_facts.columns.get(foreign_key) if child_facts else None
    possible = []
    for parent in schema.tables:
        key = _primary_key(parent)
        parent_facts = facts.get(parent.name)
        if key is None or parent.name == child or parent_facts is None:
            continue
        pk = parent_facts.columns.get(key)
        fits = (
            fk is None
            or pk is None
            or (_compatible(fk.dtype, pk.dtype) and fk.distinct <= pk.distinct)
        )
        once = (parent.name, child) not in edges and not _reaches(edges, child, parent.name)
        if fits and once:
            possible.append((parent.name, key))
    return possible


def _confidence(foreign_key: str, parent: str, parent_key: str, alone: bool) -> str:
    if alone or _names_match(foreign_key, parent, parent_key):
        return "high"
    return "medium" if _contains_parent(foreign_key, parent) else "low"


def advise_links(schema: Schema, facts: Mapping[str, TableFacts]) -> TablesLinksAdvice:
    """A parent for each declared foreign key that no link reaches yet (see the module)."""
    edges = [(link.parent, link.child) for link in planned_links(schema)]
    linked = {(link.child, link.child_key) for link in planned_links(schema)}
    advised: list[AdvisedLink] = []
    unlinked: list[UnlinkedForeignKey] = []
    for child in schema.tables:
        for column in child.columns or []:
            if not column.identifier or (child.name, column.field) in linked:
                continue
            possible = _possible_parents(schema, facts, child.name, column.field, edges)
            ranked = [
                (_confidence(column.field, name, key, len(possible) == 1), name, key)
                for name, key in possible
            ]
            best = max((_RANK[confidence] for confidence, _, _ in ranked), default=0)
            top = [entry for entry in ranked if _RANK[entry[0]] == best]
            if len(top) != 1:
                candidates = [name for _, name, _ in ranked]
                unlinked.append(UnlinkedForeignKey(child.name, column.field, candidates))
                continue
            confidence, name, key = top[0]
            series = any(c.time_series_time for c in child.columns or [])
            method = LinkMethod.TIME_SERIES if series else LinkMethod.LINEAR_SUM_ASSIGNMENT
            advised.append(
                AdvisedLink(name, key, child.name, column.field, method, confidence=confidence)
            )
            edges.append((name, child.name))
    return TablesLinksAdvice(links=advised, unlinked_foreign_keys=unlinked)
