"""What the metrics jobs measure: each avatarized table's originals and avatars row for row,
typed alike, grouped as they were avatarized, with where every foreign key points on both
sides (the originals' keys, and the new keys the avatars were released with)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from avatar_server.db.models import Job
from avatar_server.engine.linked_metrics import LinkedTables
from avatar_server.jobs.context import JobContext, JobInputError
from avatar_server.jobs.dataset_facts import facts
from avatar_server.jobs.groups import (
    PreparedGroup,
    RowPositions,
    avatarized_groups,
    parent_positions,
    prepare_group,
)
from avatar_server.jobs.tables import PreparedTable, prepare_table
from avatar_yaml import AvatarizationParameters, ConfigError, ResultKind, rules, table_groups


def like(avatars: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """Avatars read back from a file, with each column typed like the original's."""
    aligned = {}
    for column in original.columns:
        values, reference = avatars[column], original[column]
        if pd.api.types.is_datetime64_any_dtype(reference):
            utc = getattr(reference.dtype, "tz", None) is not None
            aligned[column] = pd.to_datetime(values, utc=utc, format="mixed")
        elif pd.api.types.is_bool_dtype(reference):
            aligned[column] = values.map(lambda v: v if pd.isna(v) else str(v).lower() == "true")
        elif pd.api.types.is_numeric_dtype(reference):
            aligned[column] = pd.to_numeric(values)
        else:
            aligned[column] = values.map(lambda v: v if pd.isna(v) else str(v)).astype(object)
    return pd.DataFrame(aligned, index=avatars.index)


@dataclass
class Pair:
    """A table's prepared originals and its avatars, row for row, typed alike: every released
    column but the new keys and the pseudonyms."""

    name: str
    prepared: PreparedTable
    avatars: pd.DataFrame
    set_aside: dict[str, tuple[pd.Series, pd.Series]] = field(default_factory=dict)
    """For avatars the user brings: each key or pseudonymized column they hold, as
    ``(original values, brought values)`` (the server made none of them)."""

    def without(self, excluded: Mapping[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Both sides without the columns a metrics document excludes (variables kept out of
        the avatarization are not avatars and would only measure a copy)."""
        dropped = [c for c in excluded.get(self.name, []) if c in self.prepared.data]
        return self.prepared.data.drop(columns=dropped), self.avatars.drop(columns=dropped)


@dataclass
class MeasuredGroup:
    """One avatarization group's pairs, and per link the parent row of each child row, for
    the originals (their keys) and for the avatars (the keys they were released with)."""

    group: PreparedGroup
    pairs: dict[str, Pair]
    avatar_parent_rows: dict[tuple[str, str], RowPositions]

    @property
    def linked(self) -> bool:
        return self.group.linked

    def tables(self, excluded: Mapping[str, list[str]]) -> LinkedTables:
        """The group as the multi-table metrics take it, without the excluded columns and
        without its series tables (measured with their persons' features instead, see
        :mod:`~avatar_server.jobs.measured_series`)."""
        series = self.group.series_names
        sides = {
            name: pair.without(excluded) for name, pair in self.pairs.items() if name not in series
        }
        return LinkedTables(
            originals={name: original for name, (original, _) in sides.items()},
            avatars={name: avatars for name, (_, avatars) in sides.items()},
            original_parent_rows=dict(self.group.parent_rows),
            avatar_parent_rows=dict(self.avatar_parent_rows),
            relations=self.group.relations(),
            individual_level=dict(self.group.group.individual_level),
        )


def _released_parent_rows(
    group: PreparedGroup, released: Mapping[str, pd.DataFrame]
) -> dict[tuple[str, str], RowPositions]:
    """Per link, the position in the parent's avatars of each child avatar's parent, read
    from the released keys (the avatars' own foreign keys are the assignment)."""
    rows: dict[tuple[str, str], RowPositions] = {}
    for link in group.group.links:
        positions = parent_positions(
            released[link.parent][link.parent_key], released[link.child][link.child_key]
        )
        if positions is None or (positions < 0).any():
            raise JobInputError(
                f"table {link.child!r}: the avatars' {link.child_key!r} does not resolve to the "
                f"avatars of {link.parent!r}: avatarize the run again"
            )
        rows[(link.child, link.child_key)] = positions
    return rows


def measured_groups(
    ctx: JobContext, standard: Job, avatarization: Mapping[str, AvatarizationParameters]
) -> list[MeasuredGroup]:
    """Every avatarized group with its originals and the avatars ``standard`` released."""
    measured = []
    for planned in avatarized_groups(ctx.config.schema, avatarization):
        group = prepare_group(planned, {name: ctx.prepared(name) for name in planned.tables})
        pairs, released = {}, {}
        for name, prepared in group.tables.items():
            original = prepared.data
            if original.shape[1] == 0 and name not in group.series_names:
                raise JobInputError(
                    f"table {name!r} has no column of its own besides its keys (a series-only "
                    "run): its avatars are made, but measuring them is not supported yet; run "
                    "the avatarization alone (run(jobs_to_run=[JobKind.STANDARD])), or keep a "
                    "column of the persons' own"
                )
            avatars = ctx.read_result_table(standard, ResultKind.UNSHUFFLED, name)
            missing = [c for c in original.columns if c not in avatars.columns]
            linked_keys = {link.parent_key for link in planned.links if link.parent == name}
            linked_keys |= {link.child_key for link in planned.links if link.child == name}
            missing += sorted(linked_keys - set(avatars.columns))
            if missing:
                raise JobInputError(f"table {name!r}: the avatars lack the columns {missing}")
            released[name] = avatars
            pairs[name] = Pair(name, prepared, like(avatars[list(original.columns)], original))
        rows = _released_parent_rows(group, released)
        measured.append(MeasuredGroup(group=group, pairs=pairs, avatar_parent_rows=rows))
    return measured


def _set_aside_sides(
    prepared: PreparedTable, brought: PreparedTable
) -> list[tuple[str, pd.Series, pd.Series]]:
    """The keys and pseudonymized columns that both the table and the brought avatars hold."""
    sides = []
    for column, values in brought.keys.items():
        if column in prepared.keys:
            sides.append((column, prepared.keys[column], values))
    for column, (values, _) in brought.pseudonymized.items():
        if column in prepared.pseudonymized:
            sides.append((column, prepared.pseudonymized[column][0], values))
    return sides


def brought_groups(ctx: JobContext) -> list[MeasuredGroup]:
    """Each table with the avatars the user brings, read and typed with the table's own
    declarations (dropped columns, keys and pseudonymized columns set aside alike).

    The avatars must be row for row with the originals (row i made from original row i, as
    ``sensitive_unshuffled`` gives them): the hidden rate and the local cloaking pair each
    original with its own avatar. A different row count cannot be paired and is refused."""
    measured = []
    for planned in table_groups(ctx.config.schema):
        (name,) = planned.tables
        prepared = ctx.prepared(name)
        brought_dataset = ctx.avatars_dataset(name)
        try:  # the datasets are as the run was checked with, unless one was replaced since
            rules.check_brought_facts(
                ctx.table(name), facts(ctx.dataset(name)), facts(brought_dataset)
            )
        except ConfigError as error:
            raise JobInputError(str(error)) from None
        try:
            brought = prepare_table(
                ctx.storage,
                brought_dataset,
                ctx.table(name),
                max_decoded_bytes=ctx.settings.max_decoded_bytes,
            )
        except ValueError as error:
            raise JobInputError(f"table {name!r}: the avatars you bring: {error}") from None
        original, avatars = prepared.data, brought.data
        where = f"table {name!r}: the avatars you bring"
        try:
            typed = like(avatars[list(original.columns)], original)
        except (ValueError, TypeError) as error:
            raise JobInputError(f"{where} do not read like the table: {error}") from None
        set_aside = {
            column: (originals, brought_side)
            for column, originals, brought_side in _set_aside_sides(prepared, brought)
        }
        pair = Pair(name, prepared, typed, set_aside)
        group = prepare_group(planned, {name: prepared})
        measured.append(MeasuredGroup(group=group, pairs={name: pair}, avatar_parent_rows={}))
    return measured
