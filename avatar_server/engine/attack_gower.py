"""The one numeric space the anonymeter-style attacks of ``attack_risks`` work in.

Three tables (the originals the avatars were made from, the avatars, held-out control
originals) are turned into float matrices with one shared reading of every column, so a value
means the same thing on every side:

- numbers stay numbers, datetimes become days since 1970 (a date is a number to an attacker:
  "born before 1960" is a query), gaps stay NaN;
- everything else (text, booleans, categories) becomes a category code shared by the three
  tables, a gap being a category of its own (code -1).

Distances are the mixed, Gower-like distance anonymeter uses: per column ``|a - b| / range``
for numbers (range over the three tables) and 0/1 for categories, summed over the columns; a
gap is 1 from any value and 0 from another gap (missing on both sides is agreement, which an
attacker can see). Nearest neighbours are searched in chunks of the candidates, so memory stays
``queries x chunk`` however large the avatars are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MISSING_CODE = -1.0
# Elements of one (queries x candidates) block of distances: ~16 MB of float64 per block.
BLOCK_ELEMENTS = 2_000_000
EPOCH = pd.Timestamp("1970-01-01")


@dataclass(frozen=True)
class AttackSpace:
    """The three tables as matrices (rows x columns), in the same column order."""

    columns: list[str]
    numeric: BoolArray  # per column: a number (or date as days) rather than a category
    ranges: FloatArray  # per column: the numbers' range over the three tables (1 for categories)
    train: FloatArray
    avatars: FloatArray
    control: FloatArray

    def index(self, names: list[str]) -> IntArray:
        """Positions of ``names`` among the columns."""
        position = {name: i for i, name in enumerate(self.columns)}
        return np.array([position[name] for name in names], dtype=np.int64)


def build_space(train: pd.DataFrame, avatars: pd.DataFrame, control: pd.DataFrame) -> AttackSpace:
    """Read the three tables the same way (the column kinds follow ``train``'s dtypes)."""
    columns = [str(c) for c in train.columns]
    numeric = np.array([_is_number(train[c]) for c in train.columns], dtype=np.bool_)
    n_cols = len(columns)
    mats = [np.empty((len(frame), n_cols), dtype=np.float64) for frame in (train, avatars, control)]
    ranges = np.ones(n_cols, dtype=np.float64)
    for j, column in enumerate(train.columns):
        sides = [train[column], avatars[column], control[column]]
        if numeric[j]:
            values = [_as_number(side, train[column]) for side in sides]
            joined = np.concatenate(values)
            present = joined[~np.isnan(joined)]
            if present.size:
                spread = float(present.max() - present.min())
                ranges[j] = spread if spread > 0 else 1.0
        else:
            values = _as_codes(sides)
        for mat, column_values in zip(mats, values, strict=True):
            mat[:, j] = column_values
    return AttackSpace(columns, numeric, ranges, mats[0], mats[1], mats[2])


def _is_number(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype)
        or pd.api.types.is_datetime64_any_dtype(series.dtype)
    )


def _as_number(series: pd.Series, reference: pd.Series) -> FloatArray:
    """Numbers as float, datetimes (or text read as dates when the originals are dates) as days
    since 1970; anything unreadable becomes a gap."""
    if pd.api.types.is_datetime64_any_dtype(reference.dtype):
        stamps = pd.to_datetime(series, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        days = (stamps - EPOCH) / pd.Timedelta(days=1)
        return np.asarray(days, dtype=np.float64)
    return np.asarray(pd.to_numeric(series, errors="coerce"), dtype=np.float64)


def _as_codes(sides: list[pd.Series]) -> list[FloatArray]:
    """One category code per distinct value over the three sides; gaps get ``MISSING_CODE``."""
    texts = [side.astype(object).where(side.notna(), None) for side in sides]
    joined = pd.concat([t.map(lambda v: None if v is None else str(v)) for t in texts])
    codes, _ = pd.factorize(joined, use_na_sentinel=True)
    out = codes.astype(np.float64)
    out[codes < 0] = MISSING_CODE
    bounds = np.cumsum([0, *(len(side) for side in sides)])
    return [out[bounds[i] : bounds[i + 1]] for i in range(len(sides))]


def column_distance(
    queries: FloatArray, candidates: FloatArray, numeric: bool, scale: float
) -> FloatArray:
    """Distances on one column between every query value and every candidate value."""
    if not numeric:
        differs: FloatArray = (queries[:, None] != candidates[None, :]).astype(np.float64)
        return differs
    distance: FloatArray = np.abs(queries[:, None] - candidates[None, :]) / scale
    query_gap, candidate_gap = np.isnan(queries), np.isnan(candidates)
    if query_gap.any() or candidate_gap.any():
        one_gap = query_gap[:, None] ^ candidate_gap[None, :]
        both_gaps = query_gap[:, None] & candidate_gap[None, :]
        distance[one_gap] = 1.0
        distance[both_gaps] = 0.0
    return distance


def _block_rows(n_queries: int) -> int:
    return max(1, BLOCK_ELEMENTS // max(1, n_queries))


def _block_distance(
    space: AttackSpace, queries: FloatArray, block: FloatArray, columns: IntArray
) -> FloatArray:
    total = np.zeros((len(queries), len(block)), dtype=np.float64)
    for j in columns:
        total += column_distance(
            queries[:, j], block[:, j], bool(space.numeric[j]), space.ranges[j]
        )
    return total


def nearest(
    space: AttackSpace, queries: FloatArray, columns: IntArray, n_neighbors: int
) -> IntArray:
    """Indices of the ``n_neighbors`` avatars closest to each query row on ``columns``
    (queries x n_neighbors, closest first; ties go to the lower index)."""
    candidates = space.avatars
    step = _block_rows(len(queries))
    best_distance = np.full((len(queries), 0), np.inf)
    best_index = np.empty((len(queries), 0), dtype=np.int64)
    for start in range(0, len(candidates), step):
        block = candidates[start : start + step]
        distance = np.concatenate(
            [best_distance, _block_distance(space, queries, block, columns)], axis=1
        )
        block_index = np.broadcast_to(
            np.arange(start, start + len(block)), (len(queries), len(block))
        )
        index = np.concatenate([best_index, block_index], axis=1)
        keep = min(n_neighbors, distance.shape[1])
        # Earlier columns hold lower indices, so a stable order (or argmin's first hit) gives
        # ties to the lower index.
        if keep == 1:
            order = np.argmin(distance, axis=1)[:, None]
        else:
            order = np.argsort(distance, axis=1, kind="stable")[:, :keep]
        best_distance = np.take_along_axis(distance, order, axis=1)
        best_index = np.take_along_axis(index, order, axis=1)
    return best_index


def nearest_leaving_each_out(space: AttackSpace, queries: FloatArray) -> IntArray:
    """For every column s: the avatar closest to each query on all the columns but s
    (columns x queries). One pass over the avatars serves every column: the distance without s
    is the full distance minus s's part."""
    candidates = space.avatars
    n_cols = len(space.columns)
    all_columns = np.arange(n_cols, dtype=np.int64)
    step = _block_rows(len(queries))
    best_distance = np.full((n_cols, len(queries)), np.inf)
    best_index = np.zeros((n_cols, len(queries)), dtype=np.int64)
    rows = np.arange(len(queries))
    for start in range(0, len(candidates), step):
        block = candidates[start : start + step]
        total = _block_distance(space, queries, block, all_columns)
        for s in range(n_cols):
            part = column_distance(
                queries[:, s], block[:, s], bool(space.numeric[s]), space.ranges[s]
            )
            without = total - part
            local = np.argmin(without, axis=1)
            found = without[rows, local]
            better = found < best_distance[s]
            best_distance[s, better] = found[better]
            best_index[s, better] = start + local[better]
    return best_index
