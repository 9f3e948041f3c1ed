"""What the metrics jobs measure of a series table: its originals and its released avatar
series, both placed by the model fitted on the originals with the run's settings (the standard
run's ``time_series`` block, which the metrics documents may only copy), as person features for
the privacy metrics and as curves and raw points for the signal metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from avatar_server.engine.linked import SeriesInput
from avatar_server.engine.series import SeriesModel, series_features
from avatar_server.engine.series_metrics import SeriesSide
from avatar_server.engine.series_sides import released_alignment, series_side
from avatar_server.jobs.context import JobInputError
from avatar_server.jobs.measured import MeasuredGroup
from avatar_yaml import SeriesTable


@dataclass(frozen=True)
class MeasuredSeries:
    """A series table S of parent P, both sides: row ``i`` of each side's features is person
    ``i`` of P (its original, and its avatar in the unshuffled order)."""

    name: str
    parent: str
    original: SeriesSide
    avatars: SeriesSide
    original_features: pd.DataFrame
    avatar_features: pd.DataFrame
    model: SeriesModel
    """The fit on the originals both sides were placed by (an audit's avatars are placed by it
    too, see :mod:`~avatar_server.jobs.group_audit`)."""


def measured_series(
    group: MeasuredGroup, planned: SeriesTable, series: SeriesInput
) -> MeasuredSeries:
    """The series table ``planned`` of ``group``, fitted as the avatarization fitted it
    (``series``: its originals and settings) and its released avatars put through that fit."""
    name, parent = planned.name, planned.link.parent
    avatars = group.pairs[name].avatars
    avatar_rows = np.asarray(group.avatar_parent_rows[(name, planned.link.child_key)])
    persons = len(group.pairs[parent].prepared.data)
    try:
        model = SeriesModel.fit(
            name, series.data, series.time, series.person_rows, persons, series.settings
        )
        released = released_alignment(model, avatars, avatar_rows, len(group.pairs[parent].avatars))
        original_side = series_side(model.alignment, series.data, series.time, series.person_rows)
        avatar_side = series_side(released, avatars, series.time, avatar_rows)
    except ValueError as error:
        reason = str(error)
        prefix = f"table {name!r}"
        raise JobInputError(
            reason if reason.startswith(prefix) else f"{prefix}: {reason}"
        ) from None
    return MeasuredSeries(
        name=name,
        parent=parent,
        original=original_side,
        avatars=avatar_side,
        original_features=model.features(),
        avatar_features=series_features(released, model.projection),
        model=model,
    )
