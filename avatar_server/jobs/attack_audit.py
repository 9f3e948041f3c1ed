"""The audit run behind the attack metrics: the same parameters on part of the originals.

Singling-out, linkability and inference risks are measured the anonymeter way: an attack
succeeds on the originals the avatars were made from more often than on originals no avatar
was made from only if the avatars leak about those individuals. That needs a *control* set of
real rows that the generator never saw, which the run itself cannot give (every original was
avatarized). So the privacy job makes an audit release: a seeded random share
(:data:`AUDIT_SHARE`) of the originals, avatarized with the run's own parameters; the rest is the
control set. The attacks then read the audit avatars, never the released ones, and their risk
stands for the release's as long as the audit is made the same way (same k, projection,
exclusions, processors), which is why it goes through the same engine call.

Large tables are audited on a seeded sample of :data:`AUDIT_MAX_ROWS` rows: the attacks'
intervals are already narrow at a few thousand targets, and the audit must not double the cost of
a million-row run. Neighbourhoods in a sample are sparser than in the whole table, so a sampled
audit errs on the side of more risk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.avatarize import DEFAULT_BATCH_ROWS, avatarize
from avatar_server.jobs.measured import like
from avatar_server.jobs.parameters import avatarize_options
from avatar_server.jobs.processing import table_processors
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import AvatarizationParameters, InterRecordRangeDifferenceParameters

AUDIT_SHARE = 0.75
AUDIT_MAX_ROWS = 20_000
MIN_CONTROL_ROWS = 30

IntArray = np.ndarray[Any, np.dtype[np.intp]]


class AuditNotMade(Exception):
    """Why this table gets no audit (the attack metrics say so instead of a figure)."""


@dataclass(frozen=True)
class Audit:
    """The audit release of one table: ``avatars`` were made from ``train`` (row for row),
    ``control`` holds originals no avatar was made from; all three typed alike."""

    train: pd.DataFrame
    avatars: pd.DataFrame
    control: pd.DataFrame
    seed: int
    sampled_from: int
    held_out: dict[str, Any] | None = None
    """For a table of a linked or series group: whose persons were held out, and how many
    (:mod:`group_audit`); the rows of a table are then not split on their own."""
    axes: int | None = None
    """The projected axes the audit's avatars were searched on: the release's, given or
    picked by the axes rule (``engine.axes``), so both were mixed alike."""

    def facts(self) -> dict[str, Any]:
        """What the report says of the audit: sizes and seed, never a row."""
        facts = {
            "share": AUDIT_SHARE,
            "train_rows": len(self.train),
            "control_rows": len(self.control),
            "table_rows": self.sampled_from,
            "sampled": len(self.train) + len(self.control) < self.sampled_from,
            "seed": self.seed,
        }
        if self.axes is not None:
            facts["ncp"] = self.axes
        return facts if self.held_out is None else facts | {"held_out": self.held_out}


def audit_split(n: int, *, seed: int) -> tuple[IntArray, IntArray]:
    """Row positions (sorted) of the audit's training originals and of its control set: a
    seeded random :data:`AUDIT_SHARE` of at most :data:`AUDIT_MAX_ROWS` rows, and the rest of
    those rows."""
    rng = np.random.default_rng([seed, 19])
    chosen = rng.permutation(n)[: min(n, AUDIT_MAX_ROWS)]
    cut = round(AUDIT_SHARE * len(chosen))
    return np.sort(chosen[:cut]), np.sort(chosen[cut:])


def subset(table: PreparedTable, rows: IntArray) -> PreparedTable:
    """The table restricted to ``rows``: its data and what was set aside beside it."""

    def take(values: pd.Series) -> pd.Series:
        return values.iloc[rows].reset_index(drop=True)

    return PreparedTable(
        name=table.name,
        data=table.data.iloc[rows].reset_index(drop=True),
        primary_key=table.primary_key,
        dropped=list(table.dropped),
        file_format=table.file_format,
        pseudonymized={c: (take(v), s) for c, (v, s) in table.pseudonymized.items()},
        grouped=list(table.grouped),
        grouping=dict(table.grouping),
        kept_as_is=list(table.kept_as_is),
        column_order=list(table.column_order),
        roles=dict(table.roles),
        keys={c: take(v) for c, v in table.keys.items()},
    )


def check_replayable(chosen: AvatarizationParameters, which: str) -> None:
    """Raises :class:`AuditNotMade` when ``which`` (a table named for the reader) was made
    with an inter-record processor: it chains each person's records by the released
    identifier, which an audit does not release."""
    if any(
        isinstance(given, InterRecordRangeDifferenceParameters)
        for given in chosen.avatarization_processors_parameters or []
    ):
        raise AuditNotMade(
            f"{which} has an inter-record processor, which the audit does not replay yet"
        )


def audit_release(
    table: PreparedTable,
    chosen: AvatarizationParameters,
    columns: Sequence[str],
    *,
    seed: int,
    progress: Callable[[str, float], None] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Audit:
    """The audit of ``table`` avatarized with ``chosen``, on the measured ``columns``.

    Raises :class:`AuditNotMade` when the table cannot be audited the way it was released: too
    few rows for k and a control set, an inter-record processor (it chains each person's
    records by the released identifier, which an audit does not release), or a share the
    engine refuses. ``batch_rows``: the run's, so a deployment that avatarizes in small
    batches is audited in batches too."""
    check_replayable(chosen, "the table")
    n = len(table.data)
    train_rows, control_rows = audit_split(n, seed=seed)
    if len(control_rows) < MIN_CONTROL_ROWS or len(train_rows) <= chosen.k:
        raise AuditNotMade(
            f"the table has {n} rows: an audit needs more than {chosen.k} rows to avatarize at "
            f"k = {chosen.k} (a {AUDIT_SHARE:.0%} share) and {MIN_CONTROL_ROWS} rows held out"
        )
    train_table = subset(table, train_rows)
    try:
        chain = table_processors(train_table, chosen)
        data = chain.preprocess(train_table.data)
        result = avatarize(
            data, **avatarize_options(chosen), seed=seed, progress=progress, batch_rows=batch_rows
        )
        avatars = chain.postprocess(result.unshuffled)
    except ValueError as why:
        # A share of a table can lack what the whole holds (a sparse column's every value
        # may fall among the held-out rows): the audit says so instead of failing the job.
        raise AuditNotMade(
            f"the audit's {AUDIT_SHARE:.0%} share of the rows could not be avatarized: {why}"
        ) from None
    train = train_table.data[list(columns)]
    control = table.data.iloc[control_rows].reset_index(drop=True)[list(columns)]
    return Audit(
        train=train,
        avatars=like(avatars.reset_index(drop=True)[list(columns)], train),
        control=control,
        seed=seed,
        sampled_from=n,
        axes=len(result.explained_variance_ratio),
    )
