"""The FAMD projection (PCA or MCA when a table has one kind of column), fitted exactly.

saiph's ``fit`` switches to a randomised SVD when few components are asked, which can give
wrong axes (avatar-method.md §1.3). ``fit_streaming`` is exact (tall-skinny QR, then the SVD of
a P × P factor), works batch by batch, and is cheap because P is small; it is used always.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import saiph
from saiph.reduction.utils.common import get_dummies_mapping

FIT_BATCH_ROWS = 50_000


def max_components(frame: pd.DataFrame, batch_rows: int = FIT_BATCH_ROWS) -> int:
    """The largest number of axes an exact fit of ``frame`` can have."""
    params, _ = _scaling_params(frame, 1, None, batch_rows, clamp=True)
    return int(params.max_rank)


class _GramDecomposition(saiph.DecompositionAccumulator):
    """saiph's exact streaming decomposition, accumulating the P × P Gram matrix ``ZᵀZ``
    instead of re-factoring a QR per batch: one BLAS product per batch (about 10× faster at
    100k × 52), and the same axes and singular values since both only depend on ``ZᵀZ``. The
    kept axes have the largest eigenvalues, where squaring the condition number costs nothing
    that matters (checked against the QR path in the tests)."""

    def __init__(self, params: Any, nf: int, *, seed: int | None, keep_scaled: bool) -> None:
        super().__init__(params, nf, seed=seed)
        size = params.n_scaled_columns
        self._gram = np.zeros((size, size))
        self.scaled: list[np.ndarray[Any, np.dtype[np.float64]]] | None = (
            [] if keep_scaled else None
        )

    def partial_fit(self, batch: pd.DataFrame) -> None:
        if len(batch) == 0:
            return
        self._rows_seen += len(batch)
        scaled = self._scale(batch)
        if not np.isfinite(scaled).all():
            raise ValueError("the scaled table holds non-finite values")
        weighted = scaled * self.params.column_weights / self.params.n
        self._gram += weighted.T @ weighted
        if self.scaled is not None:
            self.scaled.append(scaled)

    def finalize(self) -> Any:
        if self._rows_seen == 0:
            raise ValueError("no rows to fit")
        eigenvalues, vectors = np.linalg.eigh(self._gram)
        # Any R with RᵀR = ZᵀZ has the singular values and right vectors of Z.
        self._R = np.sqrt(np.clip(eigenvalues, 0, None))[:, None] * vectors.T
        return super().finalize()


@dataclass
class Projection:
    """A fitted projection: coordinates of rows, and rows back from coordinates."""

    model: Any

    @property
    def continuous(self) -> list[str]:
        return list(self.model.original_continuous)

    @property
    def categorical(self) -> list[str]:
        return list(self.model.original_categorical)

    @property
    def ncp(self) -> int:
        return int(self.model.nf)

    @property
    def explained_variance_ratio(self) -> list[float]:
        return [float(v) for v in np.asarray(self.model.explained_var_ratio)[: self.ncp]]

    def modalities(self) -> dict[str, list[str]]:
        """Each categorical column's modalities, as fitted."""
        if not self.model.original_categorical:
            return {}
        mapping = get_dummies_mapping(self.model.original_categorical, self.model.dummy_categorical)
        return {
            column: [dummy[len(column) + len("___") :] for dummy in dummies]
            for column, dummies in mapping.items()
        }

    def transform(self, frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        coords = saiph.transform(frame[self.continuous + self.categorical], self.model)
        return np.ascontiguousarray(coords.to_numpy(dtype="float64"))

    def inverse(
        self, coords: np.ndarray[Any, np.dtype[np.float64]]
    ) -> tuple[
        np.ndarray[Any, np.dtype[np.float64]], dict[str, tuple[list[str], np.ndarray[Any, Any]]]
    ]:
        """Rows from coordinates: continuous values (n × continuous) and, per categorical
        column, its modalities with their reconstructed scores (n × modalities)."""
        model = self.model
        n_continuous = len(model.original_continuous)
        if model.type == "mca":
            scores_all = (coords @ (model.D_c @ model.V.T).T) / np.asarray(model.dummies_col_prop)
            continuous = np.empty((len(coords), 0))
        else:
            scaled = coords @ np.linalg.pinv(model.V.T)
            continuous = scaled[:, :n_continuous] * np.asarray(model.std) + np.asarray(model.mean)
            if model.type == "famd":
                prop = np.asarray(model.prop, dtype="float64")
                scores_all = scaled[:, n_continuous:] * np.sqrt(prop) + prop
            else:
                scores_all = np.empty((len(coords), 0))
        categorical: dict[str, tuple[list[str], np.ndarray[Any, Any]]] = {}
        if model.original_categorical:
            mapping = get_dummies_mapping(model.original_categorical, model.dummy_categorical)
            position = {dummy: i for i, dummy in enumerate(model.dummy_categorical)}
            for column, dummies in mapping.items():
                indices = [position[d] for d in dummies]
                modalities = [d[len(column) + len("___") :] for d in dummies]
                categorical[column] = (modalities, scores_all[:, indices])
        return continuous, categorical


def _scaling_params(
    frame: pd.DataFrame,
    ncp: int,
    column_weights: dict[str, float] | None,
    batch_rows: int,
    clamp: bool,
    on_batch: Callable[[float], None] | None = None,
) -> tuple[Any, int]:
    """Pass 1 (means, variances, modality counts) and the number of axes to keep."""
    columns = list(frame.columns)
    if ncp < 1:
        raise ValueError(f"ncp must be at least 1, got {ncp}")
    weights = None
    if column_weights:  # checked by TableCodec.encoded_weights, which maps them to columns
        unknown = sorted(set(column_weights) - set(columns))
        if unknown:  # pragma: no cover - a bug of the caller, not a user's mistake
            raise ValueError(f"column_weights names unknown columns: {unknown}")
        weights = np.array([float(column_weights.get(c, 1.0)) for c in columns])
    scaling = saiph.ScalingAccumulator(col_weights=weights)
    for start in range(0, len(frame), batch_rows):
        scaling.partial_fit(frame.iloc[start : start + batch_rows])
        if on_batch is not None:
            on_batch(0.5 * min(1.0, (start + batch_rows) / len(frame)))
    params = scaling.finalize()
    limit = int(params.max_rank)
    if clamp:
        ncp = min(ncp, limit)
    if ncp > limit:
        raise ValueError(f"ncp={ncp} is more than the {limit} dimensions this table has")
    return params, ncp


def fit_projection(
    frame: pd.DataFrame,
    ncp: int,
    *,
    column_weights: dict[str, float] | None = None,
    seed: int | None = None,
    batch_rows: int = FIT_BATCH_ROWS,
    clamp: bool = False,
) -> Projection:
    """Fit the exact projection of ``frame`` (numbers: continuous; text: categorical).

    Two passes over row batches (scaling constants, then a carried QR factor), as saiph's
    ``fit_streaming`` does, so memory stays bounded. ``clamp`` lowers ``ncp`` to what the table
    allows instead of refusing it.
    """
    params, ncp = _scaling_params(frame, ncp, column_weights, batch_rows, clamp)
    projection, _ = _fit(frame, ncp, params, seed, batch_rows, keep_scaled=False)
    return projection


def fit_transform_projection(
    frame: pd.DataFrame,
    ncp: int,
    *,
    column_weights: dict[str, float] | None = None,
    seed: int | None = None,
    batch_rows: int = FIT_BATCH_ROWS,
    clamp: bool = False,
    on_batch: Callable[[float], None] | None = None,
) -> tuple[Projection, np.ndarray[Any, np.dtype[np.float64]]]:
    """:func:`fit_projection` and the coordinates of ``frame``, scaling each row once.

    ``on_batch(fraction)`` is called after each batch of either pass (so a caller can report
    progress, or cancel by raising).
    """
    params, ncp = _scaling_params(frame, ncp, column_weights, batch_rows, clamp, on_batch)
    projection, scaled = _fit(
        frame, ncp, params, seed, batch_rows, keep_scaled=True, on_batch=on_batch
    )
    if params.method == "mca" or scaled is None:
        return projection, projection.transform(frame)
    axes = np.asarray(projection.model.V, dtype=np.float64).T
    coords = np.vstack([block @ axes for block in scaled])
    return projection, np.ascontiguousarray(coords)


def _fit(
    frame: pd.DataFrame,
    ncp: int,
    params: Any,
    seed: int | None,
    batch_rows: int,
    *,
    keep_scaled: bool,
    on_batch: Callable[[float], None] | None = None,
) -> tuple[Projection, list[np.ndarray[Any, np.dtype[np.float64]]] | None]:
    decomposition = _GramDecomposition(params, nf=ncp, seed=seed, keep_scaled=keep_scaled)
    for start in range(0, len(frame), batch_rows):
        decomposition.partial_fit(frame.iloc[start : start + batch_rows])
        if on_batch is not None:
            on_batch(0.5 + 0.5 * min(1.0, (start + batch_rows) / len(frame)))
    return Projection(decomposition.finalize()), decomposition.scaled
