"""The space distance-based metrics are measured in: a projection fitted on the originals.

Both tables are encoded with the originals' column descriptions; numeric gaps are filled with
the originals' medians (the same fill on both sides, so gaps neither help nor hurt a match).
A categorical column with more modalities than a one-hot projection takes
(:data:`codec.MAX_ONE_HOT_MODALITIES`) counts through its most frequent modalities, its rare
ones being one modality on both sides.
Column weights act on this projection as they act on avatarize's
(:meth:`codec.TableCodec.encoded_weights`), so the metrics can measure the space the avatars
were made in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.axes import MOST_AXES
from avatar_server.engine.codec import TableCodec, with_text_labels, without_rare_modalities
from avatar_server.engine.projection import Projection, fit_transform_projection

# The most axes the avatarization searches on when no ncp is given: a metric or an attack on
# this many axes sees every axis the neighbours were mixed on (docs/attacks.md).
DEFAULT_METRIC_NCP = MOST_AXES


@dataclass
class MetricSpace:
    codec: TableCodec
    projection: Projection
    original: np.ndarray[Any, np.dtype[np.float64]]
    avatars: np.ndarray[Any, np.dtype[np.float64]]


def encode_pair(
    original: pd.DataFrame, avatars: pd.DataFrame
) -> tuple[TableCodec, pd.DataFrame, pd.DataFrame]:
    """Encode both tables for projection with the originals' column descriptions."""
    if list(original.columns) != list(avatars.columns):
        raise ValueError("the avatars must have the same columns as the original, in order")
    original, avatars = with_text_labels(original), with_text_labels(avatars)
    codec = TableCodec.fit(original)
    original_numeric = codec.numeric_values(original)
    avatar_numeric = codec.numeric_values(avatars)
    medians = np.nanmedian(original_numeric, axis=0) if original_numeric.size else np.empty(0)
    for values in (original_numeric, avatar_numeric):
        rows, cols = np.nonzero(np.isnan(values))
        values[rows, cols] = medians[cols]
    encoded_original = codec.encode(original, original_numeric)
    encoded_avatars = codec.encode(avatars, avatar_numeric)
    for name in codec.wide_columns():
        encoded_original[name], encoded_avatars[name] = without_rare_modalities(
            encoded_original[name], encoded_avatars[name]
        )
    return codec, encoded_original, encoded_avatars


def metric_space(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    ncp: int = DEFAULT_METRIC_NCP,
    seed: int = 0,
    column_weights: Mapping[str, float] | None = None,
    progress: Callable[[float], None] | None = None,
) -> MetricSpace:
    """Coordinates of originals and avatars in the originals' exact projection, each column
    weighted by ``column_weights`` (default 1)."""
    codec, encoded_original, encoded_avatars = encode_pair(original, avatars)
    projection, original_coords = fit_transform_projection(
        encoded_original,
        ncp,
        column_weights=codec.encoded_weights(column_weights),
        seed=seed,
        clamp=True,
        on_batch=progress,
    )
    return MetricSpace(
        codec=codec,
        projection=projection,
        original=original_coords,
        avatars=projection.transform(encoded_avatars),
    )
