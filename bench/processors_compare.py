"""Do two processors give the same frame? Cell by cell, numbers up to a measured difference.

Used by ``bench.processors`` on our output and the official client's for the same input. The
two frames may differ in more than values (a dropped helper column, a reset index, a column
turned to object), so the comparison says what it could and could not line up instead of
failing: rows are paired by index label when both have the same labels, by position when only
their number agrees, on the shared labels otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Agreement:
    """How far apart two outputs are."""

    max_abs: float | None = None  # over numeric cells both have; None if none compared
    cells: int = 0  # cells where one side has a gap, or non-numeric values differ
    columns: dict[str, int] = field(default_factory=dict)  # differing cells per column
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"max \\|Δ\\| {self.max_abs:.3g}" if self.max_abs is not None else "no number"]
        if self.cells:
            worst = sorted(self.columns.items(), key=lambda item: -item[1])[:3]
            listed = ", ".join(f"{name} {count}" for name, count in worst)
            parts.append(f"{self.cells} cells differ ({listed})")
        else:
            parts.append("no cell differs")
        return "; ".join(parts + self.notes)


def as_float(values: pd.Series) -> np.ndarray | None:
    """The column as float64 (datetimes as seconds since 1970), or None if not all numbers."""
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        stamps = pd.to_datetime(values)
        seconds = (stamps - pd.Timestamp(0, tz=stamps.dt.tz)).dt.total_seconds()
        return seconds.to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return values.astype("float64").to_numpy(na_value=np.nan)
    if pd.api.types.is_object_dtype(dtype):
        present = values.dropna()
        if len(present) and all(isinstance(value, pd.Timestamp) for value in present):
            return as_float(pd.to_datetime(values))
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() == len(present):
            return numbers.astype("float64").to_numpy(na_value=np.nan)
    return None


def different_cells(left: pd.Series, right: pd.Series) -> int:
    """Cells that differ as Python values; a gap equals a gap whatever its kind (NaN, None)."""
    a, b = left.to_numpy(dtype=object), right.to_numpy(dtype=object)
    gap_a, gap_b = pd.isna(a), pd.isna(b)
    equal = (gap_a & gap_b) | (~gap_a & ~gap_b & (a == b))
    return int((~equal).sum())


def paired(
    ours: pd.DataFrame, peer: pd.DataFrame, notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two frames with their rows lined up (see the module docstring)."""
    if ours.index.equals(peer.index):
        return ours, peer
    if len(ours) == len(peer):
        if ours.index.sort_values().equals(peer.index.sort_values()) and ours.index.is_unique:
            notes.append("rows in another order (paired by label)")
            return ours, peer.loc[ours.index]
        notes.append("index differs (paired by position)")
        return ours.reset_index(drop=True), peer.reset_index(drop=True)
    shared = ours.index.intersection(peer.index)
    notes.append(
        f"rows: ours {len(ours)}, official {len(peer)} (compared on {len(shared)} shared labels)"
    )
    return ours.loc[shared], peer.loc[shared]


def compare(ours: pd.DataFrame, peer: pd.DataFrame, ignore: list[str] | None = None) -> Agreement:
    """Compare two outputs; columns in ``ignore`` (random draws) are left out."""
    agreement = Agreement()
    skipped = set(ignore or [])
    only_ours = [c for c in ours.columns if c not in peer.columns and c not in skipped]
    only_peer = [c for c in peer.columns if c not in ours.columns and c not in skipped]
    if only_ours:
        agreement.notes.append(f"only ours: {only_ours}")
    if only_peer:
        agreement.notes.append(f"only official: {only_peer}")
    if skipped:
        agreement.notes.append(f"not compared (random draws): {sorted(skipped)}")
    ours, peer = paired(ours, peer, agreement.notes)
    shared = [c for c in ours.columns if c in peer.columns and c not in skipped]
    dtypes = [c for c in shared if str(ours[c].dtype) != str(peer[c].dtype)]
    if dtypes:
        shown = ", ".join(f"{c} {ours[c].dtype}/{peer[c].dtype}" for c in dtypes[:3])
        more = f" and {len(dtypes) - 3} more" if len(dtypes) > 3 else ""
        agreement.notes.append(f"dtypes ours/official: {shown}{more}")
    largest = None
    for column in shared:
        left, right = ours[column], peer[column]
        a, b = as_float(left), as_float(right)
        if a is not None and b is not None:
            gaps = np.isnan(a) != np.isnan(b)
            both = ~np.isnan(a) & ~np.isnan(b)
            differing = int(gaps.sum())
            if both.any():
                worst = float(np.max(np.abs(a[both] - b[both])))
                largest = worst if largest is None else max(largest, worst)
        else:
            differing = different_cells(left, right)
        if differing:
            agreement.columns[column] = differing
            agreement.cells += differing
    agreement.max_abs = largest
    return agreement
