"""The avatar method on a table too large to hold in one process: fitted on a sample, run batch
by batch on the rows as they are read.

:func:`~avatar_server.engine.avatarize.avatarize` holds the whole table: about 2.2 GiB per
million rows of 20 columns (``bench/results/scale.md``). Here nothing per row outlives a batch:

- the columns are described from the whole table (its reader hands them one at a time, so the
  codec is the one :class:`~avatar_server.engine.codec.TableCodec` fits on the whole frame);
- the projection and the residual the mix leaves out are fitted on a seeded sample that holds
  at least one row of each modality the projection encodes (every category, every gap
  indicator), so every batch's rows can be projected and lifted back;
- each batch (contiguous rows of the stored table) is imputed, projected, mixed and decoded on
  its own, drawing from ``[seed, batch number]``, wherever it runs.

What a sample changes: the axes come from ``SAMPLE_ROWS`` rows instead of all (their explained
variance differs in the third decimal on the scale bench's table); imputation learns from each
batch's rows (as ``fast_knn`` learns from a fifth of a table anyway); neighbours are searched
within a batch, as they already were above ``batch_rows``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.avatarize import (
    COPIES_STREAM,
    Batch,
    BatchModel,
    ExclusionSettings,
    ImputationSettings,
    _EncodedTable,
    _reattach,
    avatarize_batch,
    encode_rows,
    fit_table,
    without_excluded,
)
from avatar_server.engine.codec import (
    MAX_ONE_HOT_MODALITIES,
    TableCodec,
    modality_count,
)
from avatar_server.engine.columns import ColumnInfo
from avatar_server.engine.copies import break_unique_copies
from avatar_server.engine.progress import Progress, ProgressCallback
from avatar_server.engine.threads import one_blas_thread

SAMPLE_ROWS = 200_000
"""Rows the projection is fitted on (the whole table when it has fewer): the fit's cost stops
growing with the table; 200,000 rows pin the axes of a 20-column table to 3 decimals."""

_FIT_PLAN: dict[str, float] = {"prepare": 40, "project": 60}


@dataclass(frozen=True)
class StreamSettings:
    """The avatarization parameters of one table (as :func:`avatarize` takes them)."""

    k: int
    ncp: int | None = None
    column_weights: dict[str, float] | None = None
    use_categorical_reduction: bool = False
    imputation: ImputationSettings | None = None
    exclusion: ExclusionSettings | None = None


@dataclass(frozen=True)
class StreamModel:
    """What every batch shares: sent once to each worker that runs batches."""

    batch: BatchModel
    imputation: ImputationSettings
    left_out: tuple[str, ...]
    exclusion: ExclusionSettings | None
    columns: tuple[str, ...]
    """The table's columns (excluded ones included), in order."""
    seed: int
    explained_variance_ratio: list[float]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class RowsAvatars:
    """One batch's avatars (indexed like its originals) and both sides' coordinates."""

    avatars: pd.DataFrame
    coords: np.ndarray[Any, np.dtype[np.float64]]
    avatar_coords: np.ndarray[Any, np.dtype[np.float64]]
    unique_copies_left: int = 0
    """Avatars still equal to a row only one original of the batch holds (no swap could
    break them; see :mod:`~avatar_server.engine.copies`)."""


def covering_positions(
    info: ColumnInfo, series: pd.Series, *, reduction: bool
) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Row positions that together hold every modality this column is projected with (each
    category, and a gap; a gap of a numeric column, whose indicator is projected): added to the
    sample, so no batch holds a modality the projection has never seen. None for a column the
    projection leaves out (decoded from the neighbours instead)."""
    positions = np.arange(len(series))
    if info.kind in ("continuous", "datetime"):
        gaps = positions[series.isna().to_numpy()]
        return np.asarray(gaps[:1], dtype=np.intp)
    limit = 20 if reduction else MAX_ONE_HOT_MODALITIES
    if modality_count(info) > limit:
        return np.empty(0, dtype=np.intp)
    codes, _ = pd.factorize(series, use_na_sentinel=False)
    _, first = np.unique(codes, return_index=True)
    return np.asarray(positions[first], dtype=np.intp)


def sample_positions(
    rows: int, covering: np.ndarray[Any, np.dtype[np.intp]], seed: int, size: int = SAMPLE_ROWS
) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Sorted row positions of the fitting sample: ``size`` seeded at random (all rows of a
    smaller table), with the ``covering`` ones."""
    if rows <= size:
        return np.arange(rows, dtype=np.intp)
    rng = np.random.default_rng(np.random.SeedSequence([seed, rows, 0x5A]))
    drawn = rng.choice(rows, size=size, replace=False)
    return np.asarray(np.union1d(drawn, covering), dtype=np.intp)


@one_blas_thread
def fit_stream_model(
    sample: pd.DataFrame,
    codec: TableCodec,
    settings: StreamSettings,
    *,
    seed: int,
    progress: ProgressCallback | None = None,
) -> StreamModel:
    """Fit the projection on the ``sample`` rows (excluded columns included, as read),
    described by ``codec``, the whole table's."""
    _check_k(settings.k)
    work = without_excluded(sample, settings.exclusion)
    if [c.name for c in codec.columns] != [str(c) for c in work.columns]:
        raise ValueError("the codec does not describe the sample's columns")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5F]))
    report = Progress(progress, _FIT_PLAN)
    fitted = fit_table(
        work,
        codec,
        ncp=settings.ncp,
        column_weights=settings.column_weights,
        use_categorical_reduction=settings.use_categorical_reduction,
        imputation=settings.imputation,
        seed=seed,
        rng=rng,
        report=report,
    )
    warnings = list(fitted.warnings)
    if settings.exclusion is not None and settings.exclusion.replacement_strategy == "row_order":
        kept_out = ", ".join(settings.exclusion.variable_names)
        warnings.append(
            "excluded columns were re-attached in row order: they keep the link to "
            f"individuals and are not anonymized ({kept_out})"
        )
    report.done()
    return StreamModel(
        batch=BatchModel(
            codec=fitted.codec, projection=fitted.projection, residual=fitted.residual, k=settings.k
        ),
        imputation=fitted.imputation,
        left_out=fitted.left_out,
        exclusion=settings.exclusion,
        columns=tuple(str(c) for c in sample.columns),
        seed=seed,
        explained_variance_ratio=fitted.projection.explained_variance_ratio,
        warnings=tuple(warnings),
    )


@one_blas_thread
def avatarize_rows(model: StreamModel, frame: pd.DataFrame, number: int) -> RowsAvatars:
    """The avatars of batch ``number``: the rows of ``frame`` (as read, excluded columns
    included), neighbours searched among them. The same model, rows and number give the same
    avatars in any process."""
    if len(frame) <= model.batch.k:
        raise ValueError(
            f"k={model.batch.k} must be smaller than the number of rows avatarized together "
            f"({len(frame)})"
        )
    if [str(c) for c in frame.columns] != list(model.columns):
        raise ValueError("the batch's columns differ from the model's")
    rng = np.random.default_rng(np.random.SeedSequence([model.seed, number]))
    excluded = list(model.exclusion.variable_names) if model.exclusion else []
    work = frame.drop(columns=excluded).reset_index(drop=True)
    codec = model.batch.codec
    raw_numeric, numeric, encoded = encode_rows(codec, work, model.imputation, rng)
    coords = model.batch.projection.transform(encoded.drop(columns=list(model.left_out)))
    table = _EncodedTable.build(codec, raw_numeric, numeric, encoded)
    fitted = model.batch.projection.modalities()
    for name, known in fitted.items():
        unseen = sorted(set(table.categories[name][0]) - set(known))
        if unseen:
            raise ValueError(
                f"column {name!r} holds modalities the projection was not fitted with "
                f"({unseen[:3]}): the fitting sample must hold a row of each"
            )
    rows = np.arange(len(work), dtype=np.intp)
    batch = Batch(
        number=number, rows=rows, coords=coords, table=table, local_residuals=None, seed=0
    )
    result = avatarize_batch(model.batch, batch, rng)
    # As avatarize does for a whole table, within the batch: its originals are all it holds.
    copy_rng = np.random.default_rng(np.random.SeedSequence([model.seed, number, COPIES_STREAM]))
    avatars, left = break_unique_copies(
        work, result.avatars.sort_index()[list(work.columns)], copy_rng
    )
    if model.exclusion is not None:
        source = frame.reset_index(drop=True)
        avatars = _reattach(source, avatars, model.exclusion, coords, result.mixed)
    avatars = avatars[list(model.columns)]
    avatars.index = frame.index
    return RowsAvatars(
        avatars=avatars, coords=coords, avatar_coords=result.mixed, unique_copies_left=left
    )


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"k must be an integer, got {k!r}")
    if k < 2:
        raise ValueError(f"k must be at least 2 (the method mixes several neighbours), got {k}")


__all__ = [
    "SAMPLE_ROWS",
    "RowsAvatars",
    "StreamModel",
    "StreamSettings",
    "avatarize_rows",
    "covering_positions",
    "fit_stream_model",
    "sample_positions",
]
