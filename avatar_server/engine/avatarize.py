"""The avatar method: project, find neighbours, mix them at random, come back, restore types.

See avatar-method.md §1 for the method; the decoding step (``decoding``) is where this engine
departs from a plain reading, to keep each column's distribution.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from avatar_server.engine.axes import MOST_AXES, default_ncp
from avatar_server.engine.codec import (
    MAX_ONE_HOT_MODALITIES,
    TableCodec,
    modality_count,
    with_text_labels,
)
from avatar_server.engine.columns import (
    ABSENT,
    MISSING_MODALITY,
    ColumnInfo,
    from_seconds,
    restore_categorical,
)
from avatar_server.engine.contributions import variable_contributions
from avatar_server.engine.copies import break_unique_copies, copies_left_warning
from avatar_server.engine.decoding import (
    DISCRETE_LIMIT,
    SCORE_TEMPERATURE,
    assign_from_neighbours,
    assign_with_counts,
    avoid_unique_values,
    map_to_quantiles,
)
from avatar_server.engine.imputation import IMPUTE_METHODS, impute
from avatar_server.engine.neighbours import nearest_others
from avatar_server.engine.progress import Progress, ProgressCallback
from avatar_server.engine.projection import Projection, fit_transform_projection
from avatar_server.engine.threads import one_blas_thread

DEFAULT_BATCH_ROWS = 100_000
REDUCTION_MIN_MODALITIES = 20
CLOSEST_SAMPLE_ROWS = 20_000
"""Rows of a batch on which ``category_decoding="closest"`` judges the two decodings."""
COPIES_STREAM = 0xC0B1
"""Seeds the copy-breaking swaps apart from the avatars' own draws."""
_PLAN: dict[str, float] = {
    "prepare": 4,
    "project": 8,
    "neighbours": 55,
    "mix": 8,
    "decode": 22,
    "shuffle": 3,
}


CategoryDecoding = Literal["scores", "neighbours", "closest"]
CATEGORY_DECODINGS: tuple[CategoryDecoding, ...] = ("scores", "neighbours", "closest")
ReplacementStrategy = Literal["row_order", "coordinate_similarity"]
REPLACEMENT_STRATEGIES: tuple[ReplacementStrategy, ...] = ("row_order", "coordinate_similarity")


@dataclass(frozen=True)
class ImputationSettings:
    """How numeric gaps are filled before projection (they are re-applied afterwards).

    Not avatar_yaml's ``Imputation``: that is a document node whose unset fields mean "the
    engine's default"; the job handlers map one to the other.
    """

    method: str = "fast_knn"
    k: int = 5
    training_fraction: float = 0.2

    def __post_init__(self) -> None:
        if self.method not in IMPUTE_METHODS:
            raise ValueError(
                f"unknown imputation method {self.method!r}: use one of {', '.join(IMPUTE_METHODS)}"
            )


@dataclass(frozen=True)
class ExclusionSettings:
    """Columns kept out of the avatarization and re-attached afterwards.

    ``row_order`` re-attaches each original's own value to its avatar: it keeps the link to the
    individual, so those columns are not anonymized (flagged as sensitive).
    ``coordinate_similarity`` takes the value of the original nearest to the avatar in the
    projected space.

    The strategy has no default: the caller always says which, so no default here can disagree
    with avatar_yaml's ``ExcludeVariables`` (whose default is ``row_order``).
    """

    variable_names: tuple[str, ...]
    replacement_strategy: ReplacementStrategy

    def __post_init__(self) -> None:
        if self.replacement_strategy not in REPLACEMENT_STRATEGIES:
            raise ValueError(
                f"unknown replacement_strategy {self.replacement_strategy!r}: use "
                f"{' or '.join(REPLACEMENT_STRATEGIES)}"
            )


@dataclass
class AvatarizationResult:
    """Avatars, with the row link (``unshuffled``) that only privacy metrics may use."""

    unshuffled: pd.DataFrame
    shuffled: pd.DataFrame
    original_projections: pd.DataFrame
    avatar_projections: pd.DataFrame
    seed: int
    explained_variance_ratio: list[float]
    batches: int
    warnings: list[str] = field(default_factory=list)
    shuffle_order: np.ndarray[Any, np.dtype[np.intp]] | None = None
    """Row ``i`` of ``shuffled`` is row ``shuffle_order[i]`` of ``unshuffled``: sensitive like
    the unshuffled avatars, for adding columns made outside the engine (pseudonyms) to both."""
    contributions: dict[str, Any] | None = None
    """Each variable's share of each axis of the originals' projection (see
    :func:`avatar_server.engine.contributions.variable_contributions`), for the plot."""
    mix: Mix | None = None
    """With ``keep_mix``: each avatar's neighbours and their weights (sensitive: they name
    originals), for what is made beside the table from the same neighbours (series curves)."""


@dataclass(frozen=True)
class Mix:
    """Avatar ``i`` mixed originals ``neighbours[i]`` (row positions) with ``weights[i]``."""

    neighbours: np.ndarray[Any, np.dtype[np.intp]]
    weights: np.ndarray[Any, np.dtype[np.float64]]


def random_weights(
    distances: np.ndarray[Any, np.dtype[np.float64]], rng: np.random.Generator
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Per-row weights of the k neighbours: 1/distance × Exp(1) × 2^-(random rank), normalised.

    Neighbours at distance 0 (duplicates) get a large but finite weight.
    """
    n, k = distances.shape
    positive = distances[distances > 0]
    floor = 1e-9 * (float(np.median(positive)) if positive.size else 1.0)
    inverse = 1.0 / np.maximum(distances, floor)
    draws = rng.exponential(1.0, size=(n, k))
    ladder = rng.permuted(np.broadcast_to(np.arange(1, k + 1), (n, k)), axis=1)
    raw = inverse * draws * np.exp2(-ladder.astype(np.float64))
    return np.asarray(raw / raw.sum(axis=1, keepdims=True), dtype=np.float64)


def mix(
    coords: np.ndarray[Any, np.dtype[np.float64]],
    neighbours: np.ndarray[Any, np.dtype[np.int64]],
    weights: np.ndarray[Any, np.dtype[np.float64]],
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Each row's weighted mean of its neighbours' coordinates.

    Gathered one axis at a time: an n × k × d gather scatters reads across the whole matrix and
    is ten times slower than d gathers from one contiguous column each.
    """
    columns = np.ascontiguousarray(coords.T)
    mixed = np.empty((len(neighbours), coords.shape[1]))
    for axis, column in enumerate(columns):
        mixed[:, axis] = np.einsum("nk,nk->n", weights, column[neighbours])
    return mixed


def _batches(n: int, batch_rows: int, rng: np.random.Generator) -> list[np.ndarray[Any, Any]]:
    if n <= batch_rows:
        return [np.arange(n)]
    count = math.ceil(n / batch_rows)
    return [np.sort(part) for part in np.array_split(rng.permutation(n), count)]


def _check_inputs(
    df: pd.DataFrame,
    k: int,
    batch_rows: int,
    imputation: ImputationSettings | None,
    exclusion: ExclusionSettings | None,
) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    # Dicts and method names were once accepted: say what is expected instead of failing on
    # a missing attribute further down.
    for value, expected in ((imputation, ImputationSettings), (exclusion, ExclusionSettings)):
        if value is not None and not isinstance(value, expected):
            raise TypeError(f"expected {expected.__name__} or None, got {type(value).__name__}")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ValueError("the table is empty: it needs at least one row and one column")
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"k must be an integer, got {k!r}")
    if k < 2:
        raise ValueError(f"k must be at least 2 (the method mixes several neighbours), got {k}")
    smallest = len(df) if len(df) <= batch_rows else len(df) // math.ceil(len(df) / batch_rows)
    if k >= smallest:
        raise ValueError(
            f"k={k} must be smaller than the number of rows avatarized together ({smallest})"
        )
    if batch_rows < 2:
        raise ValueError("batch_rows must be at least 2")


def _local_residual_names(
    df: pd.DataFrame,
    names: Sequence[str],
    restore_residual: bool,
    exclusion: ExclusionSettings | None,
) -> list[str]:
    chosen = [str(name) for name in names]
    if not chosen:
        return []
    if not restore_residual:
        raise ValueError(
            "local_residual needs restore_residual: it says where the residual comes from"
        )
    excluded = set(exclusion.variable_names) if exclusion else set()
    columns = {str(c): df[c] for c in df.columns}
    wrong = [
        name
        for name in chosen
        if name not in columns
        or name in excluded
        or not pd.api.types.is_numeric_dtype(columns[name])
        or pd.api.types.is_bool_dtype(columns[name])
    ]
    if wrong:
        raise ValueError(f"local_residual names columns that are not projected numbers: {wrong}")
    return chosen


@one_blas_thread
def avatarize(
    df: pd.DataFrame,
    *,
    k: int,
    ncp: int | None = None,
    column_weights: dict[str, float] | None = None,
    use_categorical_reduction: bool = False,
    imputation: ImputationSettings | None = None,
    exclude_variables: ExclusionSettings | None = None,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    restore_residual: bool = True,
    local_residual: Sequence[str] = (),
    keep_mix: bool = False,
    map_batches: BatchMapper | None = None,
    discrete_as_numbers: bool = True,
    avoid_unique_copies: bool = True,
    category_decoding: CategoryDecoding = "closest",
    category_temperature: float = SCORE_TEMPERATURE,
    axes_rule: bool = True,
) -> AvatarizationResult:
    """Make one avatar per row of ``df``.

    Args:
        df: The original table (numbers, text categories, booleans, datetimes or date text).
        k: Neighbours mixed into each avatar (2 ≤ k < rows).
        ncp: Projected dimensions the neighbours are searched in. None (default): the axes
            that carry more variance than they would on unrelated columns, at least 3 and at
            most 5 (:func:`~avatar_server.engine.axes.default_ncp`), or fewer when the table
            has fewer dimensions (5 with ``axes_rule`` False).
        column_weights: Per-column weight in the projection (default 1).
        use_categorical_reduction: Leave categorical columns with more than 20 modalities out
            of the projection (neighbours are found on the other columns) and give each avatar
            a value its neighbours hold, instead of one dimension per modality. Columns with
            more than ``MAX_ONE_HOT_MODALITIES`` (200) modalities are always treated so, with a
            warning: one-hot, they would cost minutes and bury the table's structure.
        imputation: How numeric gaps are filled for the projection (default
            ``ImputationSettings()``); the gaps are restored in the avatars.
        exclude_variables: Columns kept out and re-attached, and how.
        seed: Makes the result reproducible; a random seed is drawn (and returned) if None.
        progress: Called as ``progress(stage, fraction)``; raise from it to stop the work.
        batch_rows: Tables above this many rows are avatarized in batches of about this size,
            neighbours being searched within a batch; the projection is fitted once on all rows.
        restore_residual: The mix lives on the first ``ncp`` axes; lifted back alone, the
            avatars lose the variance the other axes carry, and correlations between columns
            come out inflated (correlation difference ratio ~95% on a 20-column table). With
            True (default) that variance is drawn from the originals' residual distribution
            (a zero-mean Gaussian with its covariance, scaled like the mix), so correlations
            are kept without copying any individual's residual. False is the plain reading.
        local_residual: Numeric columns whose restored variance comes from each avatar's own
            neighbours rather than from all originals: ``Σ √w_j · g_j · r_j`` over its k
            neighbours (mix weights ``w_j``, residuals ``r_j``, independent standard normal
            ``g_j``), a Gaussian with the neighbourhood's residual covariance. For a block whose
            rows differ in kind, not only in place (a series table's curve features: flat noisy
            series beside smooth swinging ones), the global distribution gives every avatar
            the population's mixture; on the sensors it made the noisy series' avatars smooth
            (lag-1 autocorrelation Hellinger 0.30 against a floor of 0.13, 0.22 drawn locally;
            ``bench/results/series-quality.md``). Needs ``restore_residual``.
        keep_mix: Return each avatar's neighbours and weights (:class:`Mix`; n × k each, so
            off by default).
        map_batches: Runs the batches of a table above ``batch_rows`` rows (default: one after
            the other, here). Each batch is independent once the projection is fitted and
            draws from its own seed (``[seed, batch number]``), so a mapper that runs them
            elsewhere, in any order (on the workers of a Dask cluster), gives the same avatars.
        discrete_as_numbers: Project numbers with few distinct values (``discrete``: scores,
            counts, small integer codes) as one numeric axis each, as the other numbers are
            (the default), rather than as categories (one axis per value, the paper's reading:
            False). One-hot, a 1–10 score loses its order and the first axes keep little of
            ten unrelated dimensions: wbcd's correlation difference ratio is ~36 % that way,
            ~10 % as numbers (floor 7 %) at k = 20, hidden rate 97.1 → 98.5 %, and every
            attack on the audit release succeeds less often (singling out 0.115 → 0.000 at
            privacy seed 0; docs/fidelity.md). The avatars then sit as close to the originals
            as the originals sit to one another (distance_to_closest 0.08 against their own
            0.074), which its target accepts (:func:`~avatar_server.engine.results.dcr_passes`).
            A code whose numbers mean no order (a region code 1–9) should be given as text.
            Avatars hold only values the originals hold.
        avoid_unique_copies: No avatar equals an original row that no other original shares
            (:mod:`~avatar_server.engine.copies`): such an avatar swaps one cell with another
            avatar (the nearest other value of a numeric column), which keeps every column's
            values, hence its marginal, exactly. On wbcd 3–5 % of the avatars were such copies.
            Drawn from its own stream of ``seed``: with False the avatars are the same but
            for those swaps. Excluded columns are re-attached after it.
        category_decoding: How each projected categorical column gets its avatars'
            modalities (the originals' counts kept in every case). ``"scores"``: the modality
            its lifted scores plus residual noise favour (the earlier default).
            ``"neighbours"``: a modality its neighbours hold, by their weight in its mix (as
            wide columns always are). ``"closest"`` (default): both, and the column keeps the
            one whose correlation ratios η with the numeric columns are nearer the originals'
            (scores when the table has no numeric column). Neither wins everywhere: on the
            generated mixed table neighbours bring the associations back to their floor
            (correlation difference 30 % → 15 %, floor 14 %), on the demo table they
            overshoot them (28 % → 39 %, floor 20 %, on 5 axes) and scores are kept
            (docs/fidelity.md).
        category_temperature: How far a modality is drawn rather than ranked from the lifted
            scores (``decoding.assign_with_counts``; 0: ranked, the earlier default). Ranked,
            columns unrelated in the originals came out related (``decoding.SCORE_TEMPERATURE``
            has the figures); linked groups pass 0.
        axes_rule: With no ``ncp``, search on the axes
            :func:`~avatar_server.engine.axes.default_ncp` keeps (True, the default) or on the
            method's 5 (False: linked groups, whose relations were not measured with the rule).
    """
    _check_inputs(df, k, batch_rows, imputation, exclude_variables)
    if ncp is not None and not axes_rule:
        raise ValueError(
            "axes_rule=False chooses the axes when no ncp is given: pass one or the other"
        )
    if not math.isfinite(category_temperature) or category_temperature < 0:
        raise ValueError(
            f"category_temperature must be a finite number at least 0, got {category_temperature}"
        )
    if category_decoding not in CATEGORY_DECODINGS:
        raise ValueError(
            f"unknown category_decoding {category_decoding!r}: use one of "
            f"{', '.join(CATEGORY_DECODINGS)}"
        )
    local_names = _local_residual_names(df, local_residual, restore_residual, exclude_variables)
    labels = df.columns
    df = with_text_labels(df)
    k = int(k)
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    report = Progress(progress, _PLAN)
    report("prepare", 0.0)
    work = without_excluded(df, exclude_variables)
    fitted = fit_table(
        work,
        TableCodec.fit(work),
        ncp=ncp,
        column_weights=column_weights,
        use_categorical_reduction=use_categorical_reduction,
        imputation=imputation,
        seed=seed,
        rng=rng,
        report=report,
        restore_residual=restore_residual,
        local_residual=local_names,
        discrete_as_numbers=discrete_as_numbers,
        axes_rule=axes_rule,
    )
    codec, projection, coords = fitted.codec, fitted.projection, fitted.coords
    table, residual, warnings = fitted.table, fitted.residual, list(fitted.warnings)
    batches = _batches(len(work), batch_rows, rng)
    # Each batch carries its own rows' local residuals: the shared model goes without them, so
    # the whole table's are not sent to every worker.
    shared = None if residual is None else replace(residual, local_residuals=None)
    model = BatchModel(
        codec=codec,
        projection=projection,
        residual=shared,
        k=k,
        category_decoding=category_decoding,
        category_temperature=category_temperature,
    )
    work_items = [
        Batch.of(number, rows, coords, table, residual, seed) for number, rows in enumerate(batches)
    ]
    if len(work_items) == 1:
        # One batch draws from the table's own generator, as it always did.
        results: Iterable[BatchResult] = [avatarize_batch(model, work_items[0], rng, report)]
    else:
        results = (map_batches or map_here)(model, work_items)
    avatar_coords = np.empty_like(coords)
    mixed_from = np.empty((len(work), k), dtype=np.intp) if keep_mix else None
    mixed_weights = np.empty((len(work), k)) if keep_mix else None
    parts: list[pd.DataFrame] = []
    for done, result in enumerate(results, start=1):
        avatar_coords[result.rows] = result.mixed
        if mixed_from is not None and mixed_weights is not None:
            mixed_from[result.rows] = result.neighbours
            mixed_weights[result.rows] = result.weights
        parts.append(result.avatars)
        report("decode", done / len(work_items))

    unshuffled = pd.concat(parts).sort_index()[list(work.columns)]
    unshuffled.index = df.index
    if avoid_unique_copies:
        copy_rng = np.random.default_rng(np.random.SeedSequence([seed, COPIES_STREAM]))
        unshuffled, left = break_unique_copies(work, unshuffled, copy_rng)
        if left:
            warnings.append(copies_left_warning(left))
    if exclude_variables is not None:
        unshuffled = _reattach(df, unshuffled, exclude_variables, coords, avatar_coords)
        if exclude_variables.replacement_strategy == "row_order":
            kept_out = ", ".join(exclude_variables.variable_names)
            warnings.append(
                "excluded columns were re-attached in row order: they keep the link to "
                f"individuals and are not anonymized ({kept_out})"
            )
    unshuffled = unshuffled[list(df.columns)]
    unshuffled.columns = labels
    report("shuffle", 0.0)
    order = rng.permutation(len(df))
    shuffled = unshuffled.iloc[order].reset_index(drop=True)
    names = [f"Dim. {i + 1}" for i in range(coords.shape[1])]
    report.done()
    return AvatarizationResult(
        unshuffled=unshuffled,
        shuffled=shuffled,
        original_projections=pd.DataFrame(coords, columns=names, index=df.index),
        avatar_projections=pd.DataFrame(avatar_coords, columns=names, index=df.index),
        seed=seed,
        explained_variance_ratio=projection.explained_variance_ratio,
        batches=len(batches),
        warnings=warnings,
        shuffle_order=order,
        contributions=variable_contributions(projection, codec),
        mix=(
            Mix(mixed_from, mixed_weights)
            if mixed_from is not None and mixed_weights is not None
            else None
        ),
    )


def without_excluded(df: pd.DataFrame, exclusion: ExclusionSettings | None) -> pd.DataFrame:
    """The columns that are avatarized (the excluded ones are re-attached afterwards)."""
    excluded = list(exclusion.variable_names) if exclusion else []
    unknown = sorted(set(excluded) - set(map(str, df.columns)))
    if unknown:
        raise ValueError(f"exclude_variables names unknown columns: {unknown}")
    work = df.drop(columns=excluded).reset_index(drop=True)
    if work.shape[1] == 0:
        raise ValueError("every column is excluded: nothing is left to avatarize")
    return work


@dataclass(frozen=True)
class FittedTable:
    """What :func:`fit_table` fitted on a table, and that table's own encoding."""

    codec: TableCodec
    projection: Projection
    residual: ResidualNoise | None
    imputation: ImputationSettings
    left_out: tuple[str, ...]
    """Categorical columns not projected (wide, or reduced): decoded from the neighbours."""
    warnings: tuple[str, ...]
    coords: np.ndarray[Any, np.dtype[np.float64]]
    table: _EncodedTable


def encode_rows(
    codec: TableCodec,
    work: pd.DataFrame,
    imputation: ImputationSettings,
    rng: np.random.Generator,
    report: Callable[[float], None] = lambda _fraction: None,
) -> tuple[
    np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]], pd.DataFrame
]:
    """Rows as the projection takes them: their numeric values as they are (gaps as NaN) and
    imputed, and the encoded frame (imputed numbers, categories as text, gap indicators)."""
    raw_numeric = codec.numeric_values(work)
    numeric = impute(
        raw_numeric,
        imputation.method,
        k=imputation.k,
        training_fraction=imputation.training_fraction,
        rng=rng,
        progress=report,
    )
    return raw_numeric, numeric, codec.encode(work, numeric)


def fit_table(
    work: pd.DataFrame,
    codec: TableCodec,
    *,
    ncp: int | None,
    column_weights: dict[str, float] | None,
    use_categorical_reduction: bool,
    imputation: ImputationSettings | None,
    seed: int,
    rng: np.random.Generator,
    report: Progress,
    restore_residual: bool = True,
    local_residual: Sequence[str] = (),
    discrete_as_numbers: bool = True,
    axes_rule: bool = True,
) -> FittedTable:
    """Fit the projection (and the residual the mix leaves out) on ``work``, described by
    ``codec``: the whole table, or a sample of a table too large to hold whose ``codec`` was
    built from its whole columns (:mod:`~avatar_server.engine.streamed`).

    With ``discrete_as_numbers`` the returned codec (the one to encode and decode rows with)
    describes discrete numbers as continuous ones (:meth:`TableCodec.with_discrete_as_numbers`)."""
    if discrete_as_numbers:
        codec = codec.with_discrete_as_numbers()
    report("prepare", 0.3)
    settings = ImputationSettings() if imputation is None else imputation
    raw_numeric, numeric, encoded = encode_rows(
        codec, work, settings, rng, lambda part: report("prepare", 0.3 + 0.3 * part)
    )
    report("prepare", 0.6)
    warnings: list[str] = []
    wide = codec.wide_columns()
    reduced_names = (
        [c.name for c in codec.categorical if modality_count(c) > REDUCTION_MIN_MODALITIES]
        if use_categorical_reduction
        else wide
    )
    if wide and not use_categorical_reduction:
        counts = ", ".join(
            f"{c.name} ({modality_count(c):,})" for c in codec.categorical if c.name in wide
        )
        warnings.append(
            f"columns with more than {MAX_ONE_HOT_MODALITIES} modalities were left out of the "
            "projection and take their values from each avatar's neighbours, as categorical "
            f"reduction does: {counts}"
        )
    if reduced_names and len(reduced_names) == encoded.shape[1]:
        raise ValueError(
            "every column is a categorical one with more than "
            f"{REDUCTION_MIN_MODALITIES if use_categorical_reduction else MAX_ONE_HOT_MODALITIES}"
            " modalities: at least one other column is needed to find neighbours with"
        )
    projected_frame = encoded.drop(columns=reduced_names)
    weights = codec.encoded_weights(column_weights, left_out=reduced_names)
    report("prepare", 1.0)

    start = 0.0  # where the projection's own progress begins in the "project" stage
    if ncp is not None:
        axes = ncp
    elif axes_rule:
        # Seeded apart from the run: the count is the table's, the same for every run seed.
        # Its six fits (a quarter more time on a 50,000-row table of 750 one-hot dimensions)
        # report progress, and a cancellation stops them.
        start = 0.2
        axes = default_ncp(projected_frame, progress=lambda part: report("project", start * part))
    else:
        axes = MOST_AXES
    projection, coords = fit_transform_projection(
        projected_frame,
        axes,
        column_weights=weights,
        seed=seed,
        clamp=ncp is None,
        on_batch=lambda fraction: report("project", start + (0.8 - start) * fraction),
    )
    table = _EncodedTable.build(codec, raw_numeric, numeric, encoded)
    report("project", 0.9)
    residual = (
        ResidualNoise.fit(table, projection, coords, local=local_residual)
        if restore_residual
        else None
    )
    report("project", 1.0)
    return FittedTable(
        codec=codec,
        projection=projection,
        residual=residual,
        imputation=settings,
        left_out=tuple(reduced_names),
        warnings=tuple(warnings),
        coords=coords,
        table=table,
    )


@dataclass(frozen=True)
class BatchModel:
    """What every batch of a table shares, fitted once: sent once to each worker that runs
    batches, whatever their number."""

    codec: TableCodec
    projection: Projection
    residual: ResidualNoise | None
    k: int
    category_decoding: CategoryDecoding = "closest"
    """How projected categorical columns are decoded (see :func:`avatarize`)."""
    category_temperature: float = SCORE_TEMPERATURE
    """How far their modalities are drawn rather than ranked (see :func:`avatarize`)."""


@dataclass(frozen=True)
class Batch:
    """One batch's own inputs: its rows' positions, coordinates and encoded originals (and
    their residuals, when drawn locally): a slice of the table, so it travels light."""

    number: int
    rows: np.ndarray[Any, np.dtype[np.intp]]
    coords: np.ndarray[Any, np.dtype[np.float64]]
    table: _EncodedTable
    local_residuals: np.ndarray[Any, np.dtype[np.float64]] | None
    seed: int

    @classmethod
    def of(
        cls,
        number: int,
        rows: np.ndarray[Any, Any],
        coords: np.ndarray[Any, np.dtype[np.float64]],
        table: _EncodedTable,
        residual: ResidualNoise | None,
        seed: int,
    ) -> Batch:
        local = None
        if residual is not None and residual.local_residuals is not None:
            local = residual.local_residuals[rows]
        return cls(
            number=number,
            rows=np.asarray(rows, dtype=np.intp),
            coords=coords[rows],
            table=table.take(rows),
            local_residuals=local,
            seed=seed,
        )

    def generator(self) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, self.number]))


@dataclass(frozen=True)
class BatchResult:
    """A batch's avatars (indexed by their rows' positions), their coordinates, and the
    neighbours (positions in the table) and weights they were mixed from."""

    number: int
    rows: np.ndarray[Any, np.dtype[np.intp]]
    avatars: pd.DataFrame
    mixed: np.ndarray[Any, np.dtype[np.float64]]
    neighbours: np.ndarray[Any, np.dtype[np.intp]]
    weights: np.ndarray[Any, np.dtype[np.float64]]


BatchMapper = Callable[[BatchModel, Sequence[Batch]], Iterable[BatchResult]]
"""Runs ``avatarize_batch(model, batch)`` for each batch and yields the results as they come
(any order). Whatever the progress callback raises between two results stops the work: a
mapper that runs batches elsewhere stops those not yet done when its iterator is closed."""


@one_blas_thread
def avatarize_batch(
    model: BatchModel,
    batch: Batch,
    rng: np.random.Generator | None = None,
    report: Progress | None = None,
) -> BatchResult:
    """The avatars of one batch: neighbours searched among its rows, mixed, lifted back, given
    the variance the mix leaves out, decoded. Draws from ``batch.generator()`` unless given
    ``rng``."""
    rng = batch.generator() if rng is None else rng
    quiet = Progress(None, _PLAN)
    distances, neighbours = nearest_others(batch.coords, model.k, progress=report or quiet)
    weights = random_weights(distances, rng)
    mixed = mix(batch.coords, neighbours, weights)
    if report is not None:
        report("mix", 1.0)
    table = batch.table
    continuous, scores = table.from_projection(model.projection, mixed)
    if model.residual is not None:
        spread = batch.coords.var(axis=0).sum()
        shrink = float(np.sqrt(mixed.var(axis=0).sum() / spread)) if spread > 0 else 1.0
        residual = model.residual
        if batch.local_residuals is not None:
            residual = replace(residual, local_residuals=batch.local_residuals)
        continuous, scores = residual.add(
            continuous,
            scores,
            shrink,
            rng,
            local=(neighbours, weights),
            modalities={name: modalities for name, (modalities, _) in table.categories.items()},
        )
    here = np.arange(len(batch.rows))
    if model.category_decoding == "neighbours":
        scores = {}
    alternatives = None
    if model.category_decoding == "closest":
        categorical = {info.name for info in model.codec.categorical}
        alternatives = {
            name: (table.neighbour_codes(name, here, neighbours), weights)
            for name in scores
            if name in categorical
        }
    votes = {
        name: (table.neighbour_codes(name, here, neighbours), weights)
        for name in table.categories
        if name not in scores
    }
    avatars = _decode_batch(
        continuous,
        scores,
        votes,
        here,
        model.codec,
        table,
        rng,
        alternatives=alternatives,
        category_temperature=model.category_temperature,
    )
    avatars.index = batch.rows
    return BatchResult(
        number=batch.number,
        rows=batch.rows,
        avatars=avatars,
        mixed=mixed,
        neighbours=batch.rows[neighbours],
        weights=weights,
    )


def map_here(model: BatchModel, batches: Sequence[Batch]) -> Iterator[BatchResult]:
    """The default mapper: each batch in turn, in this process."""
    for batch in batches:
        yield avatarize_batch(model, batch)


@dataclass
class _EncodedTable:
    """The original rows as the mix needs them: numeric values (imputed, and with their gaps)
    in codec order, and each categorical column as integer codes over its modalities."""

    numeric_names: list[str]
    numeric: np.ndarray[Any, np.dtype[np.float64]]
    raw_numeric: np.ndarray[Any, np.dtype[np.float64]]
    categories: dict[str, tuple[list[str], np.ndarray[Any, np.dtype[np.int64]]]]

    @classmethod
    def build(
        cls,
        codec: TableCodec,
        raw_numeric: np.ndarray[Any, np.dtype[np.float64]],
        numeric: np.ndarray[Any, np.dtype[np.float64]],
        encoded: pd.DataFrame,
    ) -> _EncodedTable:
        names = codec.indicator_columns() + [c.name for c in codec.categorical]
        categories: dict[str, tuple[list[str], np.ndarray[Any, np.dtype[np.int64]]]] = {}
        for name in names:
            codes, uniques = pd.factorize(encoded[name].to_numpy())
            texts = np.asarray([str(u) for u in uniques], dtype=object)
            order = np.argsort(texts)
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            categories[name] = ([str(t) for t in texts[order]], rank[codes])
        return cls(
            numeric_names=[info.name for info in codec.numeric],
            numeric=numeric,
            raw_numeric=raw_numeric,
            categories=categories,
        )

    def take(self, rows: np.ndarray[Any, Any]) -> _EncodedTable:
        """The same table restricted to ``rows`` (in that order)."""
        return _EncodedTable(
            numeric_names=self.numeric_names,
            numeric=self.numeric[rows],
            raw_numeric=self.raw_numeric[rows],
            categories={
                name: (modalities, codes[rows])
                for name, (modalities, codes) in self.categories.items()
            },
        )

    def neighbour_codes(
        self,
        name: str,
        rows: np.ndarray[Any, Any],
        neighbours: np.ndarray[Any, np.dtype[np.int64]],
    ) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Per avatar, the modality of ``name`` each of its neighbours holds (n × k codes)."""
        return np.asarray(self.categories[name][1][rows][neighbours], dtype=np.int64)

    def from_projection(
        self, projection: Projection, mixed: np.ndarray[Any, np.dtype[np.float64]]
    ) -> tuple[np.ndarray[Any, np.dtype[np.float64]], dict[str, np.ndarray[Any, Any]]]:
        """The strict reading: only the first ncp coordinates are mixed, then lifted back.

        Scores come for the projected categorical columns only; the others (wide or reduced)
        are decoded from the neighbours' own values."""
        lifted, projected_scores = projection.inverse(mixed)
        position = {name: i for i, name in enumerate(projection.continuous)}
        order = [position[name] for name in self.numeric_names]
        continuous = lifted[:, order]
        scores: dict[str, np.ndarray[Any, Any]] = {}
        for name, (modalities, _) in self.categories.items():
            if name in projected_scores:
                lifted_modalities, lifted_scores = projected_scores[name]
                index = {m: i for i, m in enumerate(lifted_modalities)}
                scores[name] = lifted_scores[:, [index[m] for m in modalities]]
        return continuous, scores


@dataclass
class ResidualNoise:
    """The originals' residual distribution: what the first ``ncp`` axes do not explain.

    The residual of a row is its record (numeric values, one-hot modalities) minus the lift of
    its own coordinates; its covariance is accumulated over row chunks, and noise is drawn as
    ``z @ factor`` with ``factorᵀ factor`` equal to that covariance.
    """

    factor: np.ndarray[Any, np.dtype[np.float64]]
    blocks: list[tuple[str, list[str]]]
    """Each projected categorical column with its modalities, in the order of the record."""
    numeric_width: int
    local_columns: np.ndarray[Any, np.dtype[np.intp]] = field(
        default_factory=lambda: np.empty(0, dtype=np.intp)
    )
    """Positions, among the numeric columns, of those drawn from the neighbours' residuals."""
    local_residuals: np.ndarray[Any, np.dtype[np.float64]] | None = None
    """Each original row's residual on ``local_columns`` (rows × len(local_columns))."""

    @classmethod
    def fit(
        cls,
        table: _EncodedTable,
        projection: Projection,
        coords: np.ndarray[Any, np.dtype[np.float64]],
        chunk_rows: int = 100_000,
        *,
        local: Sequence[str] = (),
    ) -> ResidualNoise:
        projected = set(projection.categorical)
        blocks = [
            (name, modalities)
            for name, (modalities, _) in table.categories.items()
            if name in projected
        ]
        size = table.numeric.shape[1] + sum(len(m) for _, m in blocks)
        total = np.zeros(size)
        outer = np.zeros((size, size))
        n = len(coords)
        positions = {name: i for i, name in enumerate(table.numeric_names)}
        categorical = [name for name in local if name not in positions]
        if categorical:
            raise ValueError(f"local_residual names columns projected as categories: {categorical}")
        local_columns = np.asarray([positions[name] for name in local], dtype=np.intp)
        local_residuals = np.empty((n, local_columns.size)) if local_columns.size else None
        for first in range(0, n, chunk_rows):
            rows = np.arange(first, min(n, first + chunk_rows))
            lifted, scores = table.from_projection(projection, coords[rows])
            parts = [table.numeric[rows] - lifted]
            if local_residuals is not None:
                local_residuals[rows] = parts[0][:, local_columns]
            for name, modalities in blocks:
                onehot = np.zeros((len(rows), len(modalities)))
                onehot[np.arange(len(rows)), table.categories[name][1][rows]] = 1.0
                parts.append(onehot - scores[name])
            residual = np.hstack(parts)
            total += residual.sum(axis=0)
            outer += residual.T @ residual
        mean = total / n
        covariance = (outer - n * np.outer(mean, mean)) / max(n - 1, 1)
        # Decomposed as a correlation matrix: columns range from one-hot residuals (~0.1) to
        # dates in seconds (~1e14), and null directions must be judged on one common scale.
        scale = np.sqrt(np.clip(np.diag(covariance), 0, None))
        safe = np.where(scale > 0, scale, 1.0)
        values, vectors = np.linalg.eigh(covariance / np.outer(safe, safe))
        # The residual lives in fewer dimensions than the record (the ncp axes are removed,
        # one-hot blocks sum to one): drawing only along the non-null directions is cheaper.
        kept = values > values.max(initial=0.0) * 1e-9
        factor = (vectors[:, kept] * np.sqrt(values[kept])).T * safe
        return cls(
            factor=factor,
            blocks=blocks,
            numeric_width=table.numeric.shape[1],
            local_columns=local_columns,
            local_residuals=local_residuals,
        )

    def add(
        self,
        continuous: np.ndarray[Any, np.dtype[np.float64]],
        scores: dict[str, np.ndarray[Any, Any]],
        scale: float,
        rng: np.random.Generator,
        *,
        local: tuple[np.ndarray[Any, Any], np.ndarray[Any, np.dtype[np.float64]]] | None = None,
        modalities: Mapping[str, list[str]] | None = None,
    ) -> tuple[np.ndarray[Any, np.dtype[np.float64]], dict[str, np.ndarray[Any, Any]]]:
        """``continuous`` and ``scores`` with residual noise added, ``scale`` times as large.

        ``local``: each avatar's neighbours (row positions among the originals, n × k) and
        their mix weights, for the ``local_columns``. ``modalities``: per categorical column,
        the modalities its ``scores`` hold, in order, when they are not all those it was fitted
        with (a batch of a table fitted on a sample holds some of them)."""
        noise = scale * (rng.standard_normal((len(continuous), len(self.factor))) @ self.factor)
        if self.local_residuals is not None:
            if local is None:
                raise ValueError("local residual columns need each avatar's neighbours")
            neighbours, weights = local
            draws = np.sqrt(weights) * rng.standard_normal(weights.shape)
            drawn = np.einsum("nk,nkc->nc", draws, self.local_residuals[neighbours])
            noise[:, self.local_columns] = scale * drawn
        noisy = continuous + noise[:, : self.numeric_width]
        offset = self.numeric_width
        noisy_scores = dict(scores)
        for name, fitted in self.blocks:
            block = noise[:, offset : offset + len(fitted)]
            held = None if modalities is None else modalities.get(name)
            if held is not None and held != fitted:
                position = {modality: i for i, modality in enumerate(fitted)}
                block = block[:, [position[modality] for modality in held]]
            noisy_scores[name] = scores[name] + block
            offset += len(fitted)
        return noisy, noisy_scores


def _decode_batch(
    continuous: np.ndarray[Any, np.dtype[np.float64]],
    scores: dict[str, np.ndarray[Any, Any]],
    votes: dict[str, tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, Any]]],
    rows: np.ndarray[Any, Any],
    codec: TableCodec,
    table: _EncodedTable,
    rng: np.random.Generator,
    alternatives: Mapping[str, tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, Any]]]
    | None = None,
    category_temperature: float = SCORE_TEMPERATURE,
) -> pd.DataFrame:
    """Avatars of the originals at ``rows``, with each column distributed like those originals.

    A categorical column has either lifted ``scores`` (n × modalities) or, when it is not in
    the projection, ``votes``: its neighbours' codes (n × k) and their weights in the mix.
    A column of ``alternatives`` (votes too) is decoded both ways, and keeps the one whose
    correlation ratios with the numeric columns are closer to the originals'."""
    chosen: dict[str, np.ndarray[Any, np.dtype[np.int64]]] = {}
    kinds = {info.name: info.kind for info in codec.categorical}
    for name, (modalities, codes) in table.categories.items():
        counts = np.bincount(codes[rows], minlength=len(modalities)).astype(np.int64)
        if name in kinds:
            numeric = kinds[name] == "discrete"
            counts = _without_unique_modalities(counts, modalities, numeric=numeric)
        if name in scores:
            chosen[name] = assign_with_counts(
                scores[name], counts, rng, temperature=category_temperature
            )
        else:
            candidates, weights = votes[name]
            chosen[name] = assign_from_neighbours(candidates, weights, counts, rng)
    columns: dict[str, pd.Series] = {}
    decoded: dict[int, np.ndarray[Any, np.dtype[np.float64]]] = {}
    for index, info in enumerate(codec.numeric):
        original = table.raw_numeric[rows, index]
        present = ~np.isnan(original)
        avatar_present = (
            chosen[info.indicator] != table.categories[info.indicator][0].index(ABSENT)
            if info.indicator is not None
            else np.ones(len(rows), bool)
        )
        values = np.full(len(rows), np.nan)
        # Datetimes never count as discrete (their distinct values are not recorded).
        discrete = info.kind != "datetime" and info.discrete_values <= DISCRETE_LIMIT
        mapped = map_to_quantiles(
            continuous[avatar_present, index], original[present], rng, discrete=discrete
        )
        step = None if discrete else _grid_step(info)
        if discrete or step is not None:
            grid = original[present] if step is None else _on_grid(original[present], step)
            mapped = avoid_unique_values(
                mapped if step is None else _on_grid(mapped, step), grid, step=step
            )
        values[avatar_present] = mapped
        decoded[index] = values
        columns[info.name] = _restore_numeric(values, info)
    for name, (candidates, weights) in (alternatives or {}).items():
        if name not in chosen or not decoded:
            continue
        modalities, codes = table.categories[name]
        wanted = [
            _correlation_ratio(codes[rows], table.raw_numeric[rows, i], len(modalities))
            for i in decoded
        ]
        # Judged on a sample: the neighbours' assignment costs ~0.15 s per column at 100k rows,
        # paid in full only where it wins.
        n = len(rows)
        sample = (
            np.arange(n)
            if n <= CLOSEST_SAMPLE_ROWS
            else np.sort(rng.choice(n, CLOSEST_SAMPLE_ROWS, replace=False))
        )
        counts = np.bincount(chosen[name][sample], minlength=len(modalities)).astype(np.int64)
        voted = assign_from_neighbours(candidates[sample], weights[sample], counts, rng)
        ways = {"scores": chosen[name][sample], "votes": voted}
        error = {
            way: float(
                np.mean(
                    [
                        abs(_correlation_ratio(found, decoded[i][sample], len(modalities)) - target)
                        for i, target in zip(decoded, wanted, strict=True)
                    ]
                )
            )
            for way, found in ways.items()
        }
        if error["votes"] < error["scores"]:
            if sample.size < n:
                counts = np.bincount(chosen[name], minlength=len(modalities)).astype(np.int64)
                voted = assign_from_neighbours(candidates, weights, counts, rng)
            chosen[name] = voted
    for info in codec.categorical:
        modalities = table.categories[info.name][0]
        columns[info.name] = restore_categorical(chosen[info.name], modalities, info)
    frame = pd.concat(columns, axis=1)
    frame.index = rows
    return frame


def _correlation_ratio(
    codes: np.ndarray[Any, Any], values: np.ndarray[Any, np.dtype[np.float64]], size: int
) -> float:
    """η of a numeric column on a categorical one (gaps left out); 0 when undefined."""
    present = ~np.isnan(values)
    codes, values = codes[present], values[present]
    total = float(((values - values.mean()) ** 2).sum()) if values.size else 0.0
    if total <= 0.0:
        return 0.0
    counts = np.bincount(codes, minlength=size)
    sums = np.bincount(codes, weights=values, minlength=size)
    held = counts > 0
    between = float((counts[held] * (sums[held] / counts[held] - values.mean()) ** 2).sum())
    return float(np.sqrt(min(between / total, 1.0)))


def _without_unique_modalities(
    counts: np.ndarray[Any, np.dtype[np.int64]], modalities: list[str], *, numeric: bool
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Modality counts for the avatars, with no modality held by a single original.

    A category only one person has (the one astronaut, the one player with 9 penalty goals)
    identifies that person if an avatar carries it. Its count goes to the nearest shared value
    (numbers) or to the most frequent modality (text); gaps are left as they are.
    """
    present = np.array([m != MISSING_MODALITY for m in modalities])
    unique = (counts == 1) & present
    shared = (counts > 1) & present
    if not unique.any() or not shared.any():
        return counts
    moved = counts.copy()
    shared_positions = np.flatnonzero(shared)
    unique_positions = np.flatnonzero(unique)
    if numeric:
        pairs = zip(modalities, present, strict=True)
        numbers = np.array([float(m) if keep else np.nan for m, keep in pairs])
        by_value = shared_positions[np.argsort(numbers[shared_positions], kind="stable")]
        values = numbers[by_value]
        right = np.clip(np.searchsorted(values, numbers[unique_positions]), 0, len(values) - 1)
        left = np.clip(right - 1, 0, len(values) - 1)
        wanted = numbers[unique_positions]
        closer_left = np.abs(values[left] - wanted) <= np.abs(values[right] - wanted)
        targets = by_value[np.where(closer_left, left, right)]
    else:
        most = shared_positions[int(np.argmax(counts[shared_positions]))]
        targets = np.full(unique_positions.size, most)
    moved[unique_positions] -= 1
    np.add.at(moved, targets, 1)
    return moved


def _grid_step(info: ColumnInfo) -> float | None:
    """The spacing of the values a numeric column can take once restored (None: any float)."""
    if info.kind == "datetime":
        return 86_400.0 if info.day_resolution else 1.0
    if info.integral:
        return 1.0
    if info.decimals is not None:
        return float(10.0**-info.decimals)
    return None


def _on_grid(
    values: np.ndarray[Any, np.dtype[np.float64]], step: float
) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.asarray(np.round(values / step) * step, dtype=np.float64)


def _restore_numeric(values: np.ndarray[Any, np.dtype[np.float64]], info: ColumnInfo) -> pd.Series:
    if info.kind == "datetime":
        return from_seconds(values, info)
    if info.integral:
        values = np.round(values)
    elif info.decimals is not None:
        values = np.round(values, info.decimals)
    series = pd.Series(values)
    if np.isnan(values).any():
        return (
            series.astype("float64")
            if getattr(info.dtype, "kind", "f") in "iu"
            else series.astype(info.dtype)
        )
    return series.astype(info.dtype)


def _reattach(
    df: pd.DataFrame,
    unshuffled: pd.DataFrame,
    exclusion: ExclusionSettings,
    coords: np.ndarray[Any, np.dtype[np.float64]],
    avatar_coords: np.ndarray[Any, np.dtype[np.float64]],
) -> pd.DataFrame:
    result = unshuffled.copy()
    names = list(exclusion.variable_names)
    if exclusion.replacement_strategy == "row_order":
        source = np.arange(len(df))
    else:
        from scipy.spatial import cKDTree

        source = cKDTree(coords).query(avatar_coords, k=1, workers=-1)[1]
    for name in names:
        result[name] = df[name].to_numpy()[source]
    return result


__all__ = [
    "CATEGORY_DECODINGS",
    "COPIES_STREAM",
    "DEFAULT_BATCH_ROWS",
    "REPLACEMENT_STRATEGIES",
    "AvatarizationResult",
    "Batch",
    "BatchMapper",
    "BatchModel",
    "BatchResult",
    "CategoryDecoding",
    "ExclusionSettings",
    "FittedTable",
    "ImputationSettings",
    "Mix",
    "ReplacementStrategy",
    "ResidualNoise",
    "avatarize",
    "avatarize_batch",
    "encode_rows",
    "fit_table",
    "map_here",
    "mix",
    "random_weights",
    "without_excluded",
]
