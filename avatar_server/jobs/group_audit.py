"""The audit release of a linked or series group: whole persons held out with all their rows.

A single table is audited by holding out a share of its rows (:mod:`attack_audit`). In a group
that would not hold anyone out: a visit held out while its patient and the patient's other
visits are avatarized still leaks that person into the audit avatars (through the patient's
summaries of its visits, and the visits' context of their patient). So the group is split by
*person*: a seeded :data:`~attack_audit.AUDIT_SHARE` of the rows of a person table is kept,
with every row that belongs to them; the other persons are held out, with every row that
belongs to them. Each individual-level table is audited with its own rows as the persons
(:func:`person_tables`); the group's other tables on the audit of the individual-level table
with the most rows (:func:`person_table`).

A row belongs to the person its foreign keys lead to, through every link from the person table
down (a visit to its patient; a series point to its person; a grandchild through its parent). A
row whose links lead to kept and held-out persons at once (a diamond whose two paths meet two
persons) belongs to neither side and is left out of both (counted in the audit's facts). A
table no link from the person table reaches (the clinic's doctors, when the persons are its
patients) is kept whole in that audit: none of its rows is held out.

The kept sub-group is then avatarized exactly as the run's standard job avatarizes a group
(same parameters, processors, links and series settings), through the job's own function
(``GroupAvatarizer``): there is one avatarization path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.linked import LinkedTableResult
from avatar_server.engine.series import SeriesModel
from avatar_server.engine.series_sides import person_and_series, released_features
from avatar_server.jobs.attack_audit import (
    AUDIT_SHARE,
    MIN_CONTROL_ROWS,
    Audit,
    AuditNotMade,
    audit_split,
    check_replayable,
    subset,
)
from avatar_server.jobs.group_avatarization import GroupAvatarizer
from avatar_server.jobs.groups import PreparedGroup, prepare_group
from avatar_server.jobs.measured import like
from avatar_yaml import AvatarizationParameters

IntArray = np.ndarray[Any, np.dtype[np.intp]]

_KEPT, _HELD_OUT, _NEITHER = 0, 1, 2


@dataclass(frozen=True)
class PersonSplit:
    """Which rows of each table of a group the audit keeps and holds out.

    ``persons`` is the person table; ``train`` holds, for every table, the row positions the
    audit avatarizes; ``control``, for each table split by person, the rows of the held-out
    persons; ``kept_whole`` each table no person is held out of, with why; ``neither`` per split
    table the rows on neither side (mixed persons, or persons beyond the audit's sample)."""

    persons: str
    person_rows: int
    train: dict[str, IntArray]
    control: dict[str, IntArray]
    kept_whole: dict[str, str]
    neither: dict[str, int]

    def facts(self, table: str) -> dict[str, Any]:
        """What the audit of ``table`` says of the split (counts, never a row)."""
        return {
            "persons": self.persons,
            "persons_in_audit": len(self.train[self.persons]),
            "persons_held_out": len(self.control[self.persons]),
            "rows_in_neither": self.neither.get(table, 0),
        }


def person_tables(group: PreparedGroup) -> list[str]:
    """The group's individual-level tables (one row per person; series tables aside), in the
    group's order: each is audited with its own persons held out."""
    return [
        name
        for name in group.group.tables
        if name not in group.series_names and group.group.individual_level.get(name, True)
    ]


def person_table(group: PreparedGroup) -> str:
    """The persons whose audit the group's other tables are measured on: the individual-level
    table with the most rows, the first in the group's order on a tie. In the clinic, patients
    (130) rather than doctors (50): more persons give a tighter control set, and the visits are
    the patients' records. Raises :class:`AuditNotMade` when the group has no individual-level
    table (no row stands for a person)."""
    candidates = person_tables(group)
    if not candidates:
        raise AuditNotMade(
            "no table of the group is individual-level (one row per person): there is no "
            "person to hold out; declare the persons' table individual_level"
        )
    return max(candidates, key=lambda name: len(group.tables[name].data))


def person_split(group: PreparedGroup, *, seed: int, persons: str | None = None) -> PersonSplit:
    """The split of ``group`` by person: the rows of ``persons`` (an individual-level table;
    None: :func:`person_table`) split as a single table's are
    (:func:`~attack_audit.audit_split`), each other row following the persons its links lead to
    (see the module's docstring)."""
    if persons is None:
        persons = person_table(group)
    elif persons not in person_tables(group):
        raise ValueError(f"table {persons!r} is not an individual-level table of the group")
    status: dict[str, np.ndarray[Any, np.dtype[np.int8]]] = {}
    rows = len(group.tables[persons].data)
    train_persons, control_persons = audit_split(rows, seed=seed)
    mark = np.full(rows, _NEITHER, dtype=np.int8)
    mark[train_persons] = _KEPT
    mark[control_persons] = _HELD_OUT
    status[persons] = mark
    kept_whole: dict[str, str] = {}
    for name in group.group.tables:  # parents first: a row's parents are marked before it
        if name == persons:
            continue
        from_persons = [link for link in group.links_into(name) if link.parent in status]
        if not from_persons:
            kept_whole[name] = (
                f"every row of {name!r} is kept in the audit: the persons held out are the rows "
                f"of {persons!r} with all their rows, and no row of {name!r} belongs to one of "
                "them, so none is left out to compare its avatars against"
            )
            continue
        marks = np.stack(
            [
                status[link.parent][group.parent_rows[(name, link.child_key)]]
                for link in from_persons
            ]
        )
        first = marks[0]
        same = (marks == first).all(axis=0)
        status[name] = np.where(same, first, _NEITHER).astype(np.int8)
    train = {
        name: np.arange(len(table.data), dtype=np.intp)
        if name in kept_whole
        else np.flatnonzero(status[name] == _KEPT).astype(np.intp)
        for name, table in group.tables.items()
    }
    return PersonSplit(
        persons=persons,
        person_rows=rows,
        train=train,
        control={
            name: np.flatnonzero(marks == _HELD_OUT).astype(np.intp)
            for name, marks in status.items()
        },
        kept_whole=kept_whole,
        neither={name: int((marks == _NEITHER).sum()) for name, marks in status.items()},
    )


def _check_sizes(
    group: PreparedGroup, split: PersonSplit, chosen: Mapping[str, AvatarizationParameters]
) -> None:
    """Refuses a group too small to audit, saying which table and what it needs."""
    persons = split.persons
    k = chosen[persons].k
    kept, held_out = len(split.train[persons]), len(split.control[persons])
    if kept <= k or held_out < MIN_CONTROL_ROWS:
        raise AuditNotMade(
            f"the persons of this audit are the {split.person_rows} rows of {persons!r}: it "
            f"keeps {AUDIT_SHARE:.0%} of them ({kept}), which must be more than k = {k}, and "
            f"holds out the rest ({held_out}) with all their rows, at least {MIN_CONTROL_ROWS}"
        )
    for name in group.group.tables:
        if name in group.series_names or name not in chosen:
            continue
        kept = len(split.train[name])
        if kept <= chosen[name].k:
            raise AuditNotMade(
                f"table {name!r}: the audit's {AUDIT_SHARE:.0%} share of the persons keeps "
                f"{kept} of its rows, too few to avatarize at k = {chosen[name].k}"
            )


def group_audit(
    group: PreparedGroup,
    chosen: Mapping[str, AvatarizationParameters],
    columns: Mapping[str, Sequence[str]],
    avatarize: GroupAvatarizer,
    *,
    seed: int,
    series_models: Mapping[str, SeriesModel] | None = None,
    persons: str | None = None,
) -> dict[str, Audit | str]:
    """Each table's audit release (or why it has none) from one avatarization of the persons
    kept (``persons``: whose; None: :func:`person_table`'s): ``columns`` per table are its
    measured columns; a series table (``series_models``: its model fitted on all the originals,
    as its privacy metrics fit it) is audited on its persons' rows with their series features
    beside them (``person_and_series``), one row per person. Raises :class:`AuditNotMade` when
    the group as a whole cannot be audited."""
    for name in group.group.tables:
        if name in chosen:
            check_replayable(chosen[name], f"table {name!r}")
    split = person_split(group, seed=seed, persons=persons)
    _check_sizes(group, split, chosen)
    kept = prepare_group(
        group.group,
        {name: subset(table, split.train[name]) for name, table in group.tables.items()},
    )
    unprocessed = dict(kept.tables)
    try:
        results, chains = avatarize(kept, chosen)
    except ValueError as why:
        raise AuditNotMade(
            f"the audit's {AUDIT_SHARE:.0%} share of the persons could not be avatarized: {why}"
        ) from None
    audits: dict[str, Audit | str] = {}
    for name, table in group.tables.items():
        if name in group.series_names:
            continue
        if name in split.kept_whole:
            audits[name] = split.kept_whole[name]
            continue
        held_out = split.control[name]
        if len(held_out) < MIN_CONTROL_ROWS:
            audits[name] = (
                f"only {len(held_out)} rows of {name!r} belong to the persons held out "
                f"({split.persons!r}): the attacks need at least {MIN_CONTROL_ROWS}"
            )
            continue
        measured = list(columns[name])
        made = results[name].result.unshuffled.reset_index(drop=True)
        if name in chains:
            made = chains[name].postprocess(made)
        train = unprocessed[name].data.reset_index(drop=True)[measured]
        audits[name] = Audit(
            train=train,
            avatars=like(made.reset_index(drop=True)[measured], train),
            control=table.data.iloc[held_out].reset_index(drop=True)[measured],
            seed=seed,
            sampled_from=len(table.data),
            held_out=split.facts(name),
        )
    for planned in group.group.series:
        model = (series_models or {}).get(planned.name)
        if model is None:
            audits[planned.name] = "the series table's model is not given"
            continue
        audits[planned.name] = _series_audit(
            audits[planned.link.parent], model, results[planned.name], planned.link.parent, split
        )
    return audits


def _series_audit(
    person: Audit | str,
    model: SeriesModel,
    made: LinkedTableResult,
    parent: str,
    split: PersonSplit,
) -> Audit | str:
    """A series table's audit on its persons (``person``: their table's audit): each side's
    person rows with their series features beside them, the originals' from the model fitted
    on all of them, the audit avatars' placed by that model as a reader of them would."""
    if isinstance(person, str):
        return f"its persons' table {parent!r} has no audit: {person}"
    name = model.table
    features = model.features()
    try:
        avatar_features = released_features(
            model, made.result.unshuffled, made.parent_rows[parent], len(person.avatars)
        )
    except ValueError as why:
        return f"the audit's series could not be placed by the originals' model: {why}"

    def beside(rows: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
        return person_and_series(rows, found.reset_index(drop=True), name)

    return replace(
        person,
        train=beside(person.train, features.iloc[split.train[parent]]),
        avatars=beside(person.avatars, avatar_features),
        control=beside(person.control, features.iloc[split.control[parent]]),
        held_out=split.facts(name),
    )
