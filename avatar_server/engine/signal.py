"""Signal (utility) metrics: how well the avatars keep the originals' distributions.

Two families, named as in the Octopize reports (avatar-method.md §3):

- ``hellinger_mean`` / ``hellinger_std``: the Hellinger distance between the original and the
  avatar marginal of each variable, summarised over variables. Categories (and booleans) compare
  modality frequencies; numbers and datetimes are binned with edges taken from the originals
  only, so the avatars are judged on the originals' scale and cannot move the goalposts.
- ``correlation_difference_ratio``: Σ|Δr| / Σ|r_original| * 100 over the strict lower triangle
  of the Pearson correlation matrices of both tables, numbers as numbers and categories one-hot
  encoded (reading (b) of §3: it is scale-free, and 0 when the correlations are kept exactly).

Discrete columns (numbers with few distinct values, projected as categories by the engine) are
compared as numbers here: their values and order mean something, and avatars read back from
CSV may spell them differently ("1" vs "1.0").

Both tables are typed with the originals' column descriptions (:mod:`columns`), so an avatar
column read back from CSV with another dtype is still compared on the originals' terms.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.codec import TableCodec
from avatar_server.engine.columns import (
    MISSING_MODALITY,
    NUMERIC_KINDS,
    ColumnInfo,
    aligned_codes,
    column_numbers,
)
from avatar_server.engine.progress import Progress, ProgressCallback
from avatar_server.engine.results import (
    FLOOR_FACTOR,
    FLOOR_TARGET_CAP,
    SIGNAL_TARGETS,
    MetricResult,
    correlation_target,
    json_safe,
    metric_result,
)

DEFAULT_BINS = 20
PLOT_MODALITIES = 30
PLOT_QUANTILES = (0.01, 0.99)
FAR_TAIL = 2.0
"""A histogram's axis stops at a quantile of :data:`PLOT_QUANTILES` when the values beyond it
reach further than ``FAR_TAIL`` times the range between the two quantiles: a few huge
outliers would otherwise squeeze every other value into one bar."""
TAIL_MARGIN = 0.5
"""How far past the quantile, in widths of the quantile range, a clipped axis still goes, so
that an ordinary tail stays drawn and only the far values are left out."""
OTHER_MODALITY = "__other__"
CORRELATION_MODALITIES = 50
FLOOR_SPLITS = 3
FLOOR_MAX_ROWS = 40_000
"""The floor is measured on at most this many originals (a seeded sample) and brought to the
run's size by the 1/√n law of sampling noise."""
_CHUNK_CELLS = 1 << 22

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]


def _result(name: str, value: float | None, details: dict[str, Any]) -> MetricResult:
    return metric_result(name, value, SIGNAL_TARGETS[name], details)


# --- shared column access ------------------------------------------------------------------


def _check_pair(original: pd.DataFrame, avatars: pd.DataFrame) -> TableCodec:
    if list(original.columns) != list(avatars.columns):
        raise ValueError("the avatars must have the same columns as the original, in order")
    if len(avatars) == 0:
        raise ValueError("the avatar table has no rows")
    return TableCodec.fit(original)


def _aligned_codes(original: pd.Series, avatars: pd.Series) -> tuple[IntArray, IntArray, list[str]]:
    codes_o, codes_a, labels, _ = aligned_codes(original, avatars)
    return codes_o, codes_a, labels


# --- Hellinger -----------------------------------------------------------------------------


def hellinger(p: FloatArray, q: FloatArray) -> float:
    """Hellinger distance between two frequency vectors on the same support, in [0, 1]."""
    return float(np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)))


def _frequencies(codes: IntArray, size: int) -> FloatArray:
    counts = np.bincount(codes, minlength=size).astype("float64")
    return np.asarray(counts / counts.sum(), dtype="float64")


def numeric_bin_codes(
    original: FloatArray, avatars: FloatArray, bins: int, distinct: int | None = None
) -> tuple[IntArray, IntArray, int]:
    """Bin codes of both columns for the Hellinger distance, and the number of bins.

    Few distinct original values: one bin per value (union of both sides, so avatar values the
    originals never take count as a difference). Otherwise equal-mass bins at the originals'
    quantiles; avatar values beyond the originals' range fall in the outer bins. Missing values
    get a bin of their own in both cases. ``distinct`` (the originals' number of distinct
    values) saves a sort when the column description already knows it.
    """
    present = original[~np.isnan(original)]
    if distinct is None:
        distinct = int(np.unique(present).size)
    if distinct <= bins:
        values = np.concatenate([original, avatars])
        gaps = np.isnan(values)
        support, inverse = np.unique(values[~gaps], return_inverse=True)
        codes = np.full(values.size, support.size, dtype=np.intp)
        codes[~gaps] = inverse
        return codes[: original.size], codes[original.size :], support.size + 1
    edges = np.unique(np.quantile(present, np.linspace(0.0, 1.0, bins + 1)))
    inner = edges[1:-1]
    missing = inner.size + 1

    def assign(values: FloatArray) -> IntArray:
        codes = np.searchsorted(inner, values, side="right").astype(np.intp)
        codes[np.isnan(values)] = missing
        return codes

    return assign(original), assign(avatars), missing + 1


def _hellinger_column(
    original: pd.Series, avatars: pd.Series, info: ColumnInfo, bins: int
) -> float:
    if info.kind not in NUMERIC_KINDS:
        codes_o, codes_a, labels = _aligned_codes(original, avatars)
        size = len(labels)
    else:
        known = info.discrete_values if info.kind in ("continuous", "discrete") else 0
        codes_o, codes_a, size = numeric_bin_codes(
            column_numbers(original, info), column_numbers(avatars, info), bins, known or None
        )
    return hellinger(_frequencies(codes_o, size), _frequencies(codes_a, size))


# --- correlations --------------------------------------------------------------------------


# A block of design columns: a numeric column (median-filled), or a categorical column's
# modality codes with the codes that get a one-hot column.
_Block = FloatArray | tuple[IntArray, IntArray]


def _designs(
    codec: TableCodec, original: pd.DataFrame, avatars: pd.DataFrame
) -> tuple[list[str], list[_Block], list[_Block], list[str]]:
    """Both tables as the same numeric columns: numbers filled with the originals' medians,
    categories one-hot on the originals' modalities (missing included). Avatar modalities the
    originals lack have no column; beyond the originals' 50 most frequent modalities of a
    column, the rarer ones have none either (their correlations are noise, and their count
    would make the matrices huge). Returns the names, blocks of each table, and the columns
    whose rare modalities were left out."""
    names: list[str] = []
    blocks_o: list[_Block] = []
    blocks_a: list[_Block] = []
    truncated: list[str] = []
    for info in codec.columns:
        if info.kind in NUMERIC_KINDS:
            values_o = column_numbers(original[info.name], info)
            values_a = column_numbers(avatars[info.name], info)
            median = float(np.nanmedian(values_o))
            names.append(info.name)
            blocks_o.append(np.nan_to_num(values_o, nan=median))
            blocks_a.append(np.nan_to_num(values_a, nan=median))
            continue
        codes_o, codes_a, labels = _aligned_codes(original[info.name], avatars[info.name])
        counts = np.bincount(codes_o, minlength=len(labels))
        kept = np.flatnonzero(counts)
        if kept.size > CORRELATION_MODALITIES:
            kept = np.sort(kept[np.argsort(-counts[kept], kind="stable")][:CORRELATION_MODALITIES])
            truncated.append(info.name)
        names.extend(f"{info.name}___{labels[code]}" for code in kept)
        blocks_o.append((codes_o, kept))
        blocks_a.append((codes_a, kept))
    return names, blocks_o, blocks_a, truncated


def _correlations(
    blocks: list[_Block], n: int
) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Pearson correlations of the design columns, and which columns are constant (they get
    correlation 0 with everything).

    The centred cross-products are accumulated over row chunks, so memory stays at one chunk
    of the design matrix whatever the number of rows.
    """
    means: list[FloatArray] = []
    constant: list[np.ndarray[Any, np.dtype[np.bool_]]] = []
    for block in blocks:
        if isinstance(block, tuple):
            codes, kept = block
            counts = np.bincount(codes, minlength=int(kept.max()) + 1)[kept]
            means.append(counts / n)
            constant.append((counts == 0) | (counts == n))
        else:
            means.append(np.array([block.mean()]))
            constant.append(np.array([block.max() == block.min()]))
    mean = np.concatenate(means)
    flat = np.concatenate(constant)
    size = mean.size
    gram = np.zeros((size, size))
    step = max(1, _CHUNK_CELLS // size)
    for start in range(0, n, step):
        stop = min(n, start + step)
        chunk = np.empty((stop - start, size), order="F")
        column = 0
        for block in blocks:
            if isinstance(block, tuple):
                codes, kept = block
                rows = codes[start:stop]
                for code in kept:
                    chunk[:, column] = rows == code
                    column += 1
            else:
                chunk[:, column] = block[start:stop]
                column += 1
        chunk -= mean
        gram += chunk.T @ chunk
    scale = np.sqrt(np.diag(gram).copy())
    scale[flat] = 1.0
    corr = gram / np.outer(scale, scale)
    corr[flat, :] = 0.0
    corr[:, flat] = 0.0
    return np.asarray(np.clip(corr, -1.0, 1.0), dtype="float64"), flat


def _rows_of(block: _Block, rows: IntArray) -> _Block:
    if isinstance(block, tuple):
        return (block[0][rows], block[1])
    return block[rows]


def _ratio(corr_o: FloatArray, corr_a: FloatArray, rows: IntArray, cols: IntArray) -> float | None:
    total = float(np.abs(corr_o[rows, cols]).sum())
    if total <= 0.0:
        return None
    return float(np.abs(corr_o[rows, cols] - corr_a[rows, cols]).sum()) / total * 100.0


def correlation_floor(
    blocks: list[_Block], n: int, rows: IntArray, cols: IntArray, *, seed: int = 0
) -> dict[str, Any] | None:
    """The ratio two random halves of the originals give each other (median of
    ``FLOOR_SPLITS`` seeded splits, on at most ``FLOOR_MAX_ROWS`` originals), and that noise
    brought to a comparison of ``n`` rows with ``n`` rows, as a run makes: the difference of
    two samples' correlations shrinks as 1/√size, and each half holds a quarter of the
    information of the two full tables together. None for a table too small to split."""
    if n < 20:
        return None
    rng = np.random.default_rng(seed)
    measured = min(n, FLOOR_MAX_ROWS)
    ratios: list[float] = []
    for _ in range(FLOOR_SPLITS):
        order = rng.permutation(n)[:measured]
        half = measured // 2
        a, b = np.sort(order[:half]), np.sort(order[half : 2 * half])
        corr_a, _ = _correlations([_rows_of(block, a) for block in blocks], half)
        corr_b, _ = _correlations([_rows_of(block, b) for block in blocks], half)
        ratio = _ratio(corr_a, corr_b, rows, cols)
        if ratio is not None:
            ratios.append(ratio)
    if not ratios:
        return None
    halves = float(np.median(ratios))
    return {
        "between_halves": halves,
        "rows_measured": measured,
        "at_run_size": halves * math.sqrt(half / n),
        "note": (
            "the ratio between two random halves of the originals, brought to the run's size "
            f"(x sqrt(half / rows)); the target is {FLOOR_FACTOR:g} times it where that is "
            f"looser than the fixed {SIGNAL_TARGETS['correlation_difference_ratio']}, at most "
            f"< {FLOOR_TARGET_CAP:g}"
        ),
    }


def _correlation_difference(
    codec: TableCodec, original: pd.DataFrame, avatars: pd.DataFrame
) -> MetricResult:
    names, blocks_o, blocks_a, truncated = _designs(codec, original, avatars)
    corr_o, constant_o = _correlations(blocks_o, len(original))
    # A column the avatars flattened keeps correlation 0 with everything: lost signal counts.
    corr_a, _ = _correlations(blocks_a, len(avatars))
    kept = np.flatnonzero(~constant_o)
    rows, cols = np.tril_indices(kept.size, k=-1)
    rows, cols = kept[rows], kept[cols]
    r_o, r_a = corr_o[rows, cols], corr_a[rows, cols]
    difference = np.abs(r_o - r_a)
    total = float(np.abs(r_o).sum())
    floor = correlation_floor(blocks_o, len(original), rows, cols) if rows.size else None
    details: dict[str, Any] = {
        "pairs": int(rows.size),
        "columns": len(names),
        "skipped_constant_columns": [names[i] for i in np.flatnonzero(constant_o)],
        "truncated_modalities": truncated,
        "sum_abs_difference": float(difference.sum()),
        "sum_abs_original": total,
        "max_difference": None,
        "floor": floor,
    }
    if rows.size:
        worst = int(np.argmax(difference))
        details["max_difference"] = {
            "columns": [names[rows[worst]], names[cols[worst]]],
            "original": float(r_o[worst]),
            "avatars": float(r_a[worst]),
            "difference": float(difference[worst]),
        }
    target = correlation_target(None if floor is None else floor["at_run_size"])
    if total <= 0.0:
        details["reason"] = "no correlated pair of non-constant columns in the original table"
        return metric_result("correlation_difference_ratio", None, target, details)
    value = float(difference.sum()) / total * 100.0
    return metric_result("correlation_difference_ratio", value, target, details)


# --- public API ----------------------------------------------------------------------------


def signal_metrics(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    *,
    progress: ProgressCallback | None = None,
    bins: int = DEFAULT_BINS,
) -> list[MetricResult]:
    """``hellinger_mean``, ``hellinger_std`` and ``correlation_difference_ratio``, in order.

    ``progress`` is called with stages ``signal_hellinger`` and ``signal_correlation``; it may
    raise :class:`progress.Cancelled` to stop between columns.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    codec = _check_pair(original, avatars)
    report = Progress(progress, {"signal_hellinger": 2.0, "signal_correlation": 1.0})
    distances: dict[str, float] = {}
    for position, info in enumerate(codec.columns):
        report("signal_hellinger", position / len(codec.columns))
        distances[info.name] = _hellinger_column(
            original[info.name], avatars[info.name], info, bins
        )
    report("signal_correlation", 0.0)
    values = np.array(list(distances.values()))
    mean, std = float(values.mean()), float(values.std())
    results = [
        _result("hellinger_mean", mean, {"per_variable": distances}),
        _result("hellinger_std", std, {"per_variable": distances}),
        _correlation_difference(codec, original, avatars),
    ]
    report("signal_correlation", 1.0)
    return results


def _numeric_summary(values: FloatArray) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    summary: dict[str, Any] = {
        "count": int(present.size),
        "missing": int(values.size - present.size),
    }
    if present.size == 0:
        summary.update(dict.fromkeys(("mean", "std", "min", "q25", "median", "q75", "max")))
        return summary
    q25, median, q75 = np.quantile(present, [0.25, 0.5, 0.75])
    summary.update(
        mean=float(present.mean()),
        std=float(present.std(ddof=1)) if present.size > 1 else 0.0,
        min=float(present.min()),
        q25=float(q25),
        median=float(median),
        q75=float(q75),
        max=float(present.max()),
    )
    return summary


def _plot_range(present: FloatArray) -> tuple[float, float, bool]:
    """The range a histogram draws: the originals' whole range, or a robust one (see
    :data:`FAR_TAIL`) on the side or sides where a few values lie far out. The flag says
    whether any side was clipped."""
    low, high = float(present.min()), float(present.max())
    q_low, q_high = (float(q) for q in np.quantile(present, PLOT_QUANTILES))
    spread = q_high - q_low
    if spread <= 0:
        return low, high, False
    clipped = False
    if q_low - low > FAR_TAIL * spread:
        low, clipped = q_low - TAIL_MARGIN * spread, True
    if high - q_high > FAR_TAIL * spread:
        high, clipped = q_high + TAIL_MARGIN * spread, True
    return low, high, clipped


def _histogram_edges(present: FloatArray, info: ColumnInfo, bins: int) -> tuple[FloatArray, bool]:
    """Equal-width edges over the originals' plot range (:func:`_plot_range`); integers with a
    short range get one bin per integer, so no bar straddles two values. The flag: the range
    was clipped, values beyond the edges are left out of the bars (and counted)."""
    low, high, clipped = _plot_range(present)
    if info.kind in ("continuous", "discrete") and info.integral and high - low < bins:
        if clipped:
            low, high = math.floor(low), math.ceil(high)
        return np.arange(low - 0.5, high + 1.0, 1.0), clipped
    if clipped:
        return np.linspace(low, high, bins + 1), True
    return np.asarray(np.histogram_bin_edges(present, bins=bins), dtype="float64"), False


def _densities(values: FloatArray, edges: FloatArray, *, clipped: bool) -> list[float]:
    """Histogram densities of the non-missing values, as shares of all of them. Values beyond
    the edges are counted in the outer bins so every avatar is visible, unless the range was
    clipped: then they are left out (and counted by :func:`_beyond`)."""
    present = values[~np.isnan(values)]
    if present.size == 0:
        return [0.0] * (edges.size - 1)
    if clipped:
        inside = present[(present >= edges[0]) & (present <= edges[-1])]
        counts = np.histogram(inside, bins=edges)[0]
    else:
        codes = np.clip(np.searchsorted(edges[1:-1], present, side="right"), 0, edges.size - 2)
        counts = np.bincount(codes, minlength=edges.size - 1)
    return [float(v) for v in counts / (present.size * np.diff(edges))]


def _beyond(values: FloatArray, edges: FloatArray) -> int:
    present = values[~np.isnan(values)]
    return int(np.count_nonzero((present < edges[0]) | (present > edges[-1])))


def _numeric_comparison(
    original: pd.Series, avatars: pd.Series, info: ColumnInfo, bins: int
) -> dict[str, Any]:
    values_o, values_a = column_numbers(original, info), column_numbers(avatars, info)
    edges, clipped = _histogram_edges(values_o[~np.isnan(values_o)], info, bins)
    plot: dict[str, Any] = {
        "type": "histogram",
        "edges": [float(e) for e in edges],
        "original": _densities(values_o, edges, clipped=clipped),
        "avatars": _densities(values_a, edges, clipped=clipped),
    }
    if clipped:
        plot["beyond"] = {"original": _beyond(values_o, edges), "avatars": _beyond(values_a, edges)}
    return {
        "original": _numeric_summary(values_o),
        "avatars": _numeric_summary(values_a),
        "plot": plot,
    }


def _categorical_comparison(original: pd.Series, avatars: pd.Series) -> dict[str, Any]:
    codes_o, codes_a, labels = _aligned_codes(original, avatars)
    freq_o = _frequencies(codes_o, len(labels))
    freq_a = _frequencies(codes_a, len(labels))
    order = np.argsort(-freq_o, kind="stable")
    top = order[:PLOT_MODALITIES]
    categories = [labels[i] for i in top]
    plot_o = [float(freq_o[i]) for i in top]
    plot_a = [float(freq_a[i]) for i in top]
    if len(order) > PLOT_MODALITIES:
        categories.append(OTHER_MODALITY)
        plot_o.append(float(max(0.0, 1.0 - sum(plot_o))))
        plot_a.append(float(max(0.0, 1.0 - sum(plot_a))))

    missing_code = len(labels) - 1 if labels and labels[-1] == MISSING_MODALITY else -1

    def summary(codes: IntArray, plot: list[float]) -> dict[str, Any]:
        missing = int(np.count_nonzero(codes == missing_code))
        counted = np.bincount(codes, minlength=len(labels))
        counts = [int(counted[i]) for i in top]
        if len(order) > PLOT_MODALITIES:
            counts.append(int(codes.size) - sum(counts))
        return {
            "count": int(codes.size - missing),
            "missing": missing,
            "distinct": int(np.unique(codes).size - (1 if missing else 0)),
            "frequencies": dict(zip(categories, plot, strict=True)),
            "counts": dict(zip(categories, counts, strict=True)),
        }

    return {
        "original": summary(codes_o, plot_o),
        "avatars": summary(codes_a, plot_a),
        "plot": {"type": "bar", "categories": categories, "original": plot_o, "avatars": plot_a},
    }


def variable_comparisons(
    original: pd.DataFrame, avatars: pd.DataFrame, *, bins: int = DEFAULT_BINS
) -> list[dict[str, Any]]:
    """Per-column summaries and plot data of both tables, for reports.

    Numbers and datetimes (in seconds since the epoch) get summary statistics and a histogram
    on edges from the originals; categories and booleans get modality frequencies and counts (the
    30 most frequent original modalities, the rest as ``__other__``; missing as
    ``__missing__``).
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    codec = _check_pair(original, avatars)
    comparisons = []
    for info in codec.columns:
        if info.kind in NUMERIC_KINDS:
            body = _numeric_comparison(original[info.name], avatars[info.name], info, bins)
        else:
            body = _categorical_comparison(original[info.name], avatars[info.name])
        comparisons.append(json_safe({"name": info.name, "kind": info.kind, **body}))
    return comparisons


# --- association matrices for plots ---------------------------------------------------------

ASSOCIATION_ROWS = 50_000
ASSOCIATION_MODALITIES = 50
ASSOCIATION_METHOD = (
    "signed Pearson r between two numbers, correlation ratio η between a number and a "
    "category, Cramér's V between two categories (η and V are in [0, 1])"
)

# A column for the association matrix: numbers (gaps at the originals' median) or codes with
# their count.
_Variable = FloatArray | tuple[IntArray, int]


def _association_variables(
    codec: TableCodec, original: pd.DataFrame, avatars: pd.DataFrame
) -> tuple[list[_Variable], list[_Variable]]:
    """Each column of both tables as numbers or as codes shared by both sides. Categories
    keep their originals' most frequent modalities, the rest pooled into one code: rare
    modalities add nothing visible to a plot and would make the contingency tables huge."""
    side_o: list[_Variable] = []
    side_a: list[_Variable] = []
    for info in codec.columns:
        if info.kind in NUMERIC_KINDS:
            values_o = column_numbers(original[info.name], info)
            values_a = column_numbers(avatars[info.name], info)
            present = values_o[~np.isnan(values_o)]
            median = float(np.median(present)) if present.size else 0.0
            side_o.append(np.nan_to_num(values_o, nan=median))
            side_a.append(np.nan_to_num(values_a, nan=median))
            continue
        codes_o, codes_a, labels = _aligned_codes(original[info.name], avatars[info.name])
        counts = np.bincount(codes_o, minlength=len(labels))
        order = np.argsort(-counts, kind="stable")
        kept = min(len(labels), ASSOCIATION_MODALITIES)
        remap = np.full(len(labels), kept, dtype=np.intp)
        remap[order[:kept]] = np.arange(kept)
        size = kept + (1 if len(labels) > kept else 0)
        side_o.append((remap[codes_o], size))
        side_a.append((remap[codes_a], size))
    return side_o, side_a


def _cramers_v(a: tuple[IntArray, int], b: tuple[IntArray, int]) -> float | None:
    codes_a, size_a = a
    codes_b, size_b = b
    n = codes_a.size
    table = np.bincount(codes_a * size_b + codes_b, minlength=size_a * size_b).reshape(
        size_a, size_b
    )
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    table = table[rows > 0][:, cols > 0].astype("float64")
    rows, cols = rows[rows > 0], cols[cols > 0]
    smaller = min(rows.size, cols.size)
    if smaller < 2:
        return None
    chi2_over_n = float((table**2 / np.outer(rows, cols)).sum()) - 1.0
    return float(np.sqrt(max(chi2_over_n, 0.0) / (smaller - 1)) if n else 0.0)


def _correlation_ratio(values: FloatArray, category: tuple[IntArray, int]) -> float | None:
    codes, size = category
    total = float(((values - values.mean()) ** 2).sum())
    if total <= 0.0:
        return None
    counts = np.bincount(codes, minlength=size)
    if np.count_nonzero(counts) < 2:
        return None
    sums = np.bincount(codes, weights=values, minlength=size)
    present = counts > 0
    means = sums[present] / counts[present]
    between = float((counts[present] * (means - values.mean()) ** 2).sum())
    return float(np.sqrt(min(max(between / total, 0.0), 1.0)))


def _association(a: _Variable, b: _Variable) -> float | None:
    """η or Cramér's V of a pair with at least one category (number pairs go by block)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return _cramers_v(a, b)
    if isinstance(a, tuple):
        assert not isinstance(b, tuple)
        return _correlation_ratio(b, a)
    assert isinstance(b, tuple), "two numbers: use _pearson_block"
    return _correlation_ratio(a, b)


def _pearson_block(columns: list[FloatArray]) -> FloatArray:
    """Pearson r of every pair of numeric columns in one matrix product (NaN where a column
    is constant)."""
    centred = np.column_stack(columns) - np.column_stack(columns).mean(axis=0)
    scale = np.sqrt((centred**2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = (centred.T @ centred) / np.outer(scale, scale)
    corr[:, scale <= 0.0] = np.nan
    corr[scale <= 0.0, :] = np.nan
    return np.asarray(np.clip(corr, -1.0, 1.0), dtype="float64")


def _association_matrix(variables: list[_Variable]) -> list[list[float | None]]:
    size = len(variables)
    matrix: list[list[float | None]] = [[None] * size for _ in range(size)]
    numeric = [i for i, v in enumerate(variables) if not isinstance(v, tuple)]
    if numeric:
        block = _pearson_block([np.asarray(variables[i]) for i in numeric])
        for (a, i), (b, j) in itertools.product(enumerate(numeric), repeat=2):
            r = float(block[a, b])
            matrix[i][j] = None if math.isnan(r) else round(r, 4)
    numbers = set(numeric)
    for i in range(size):
        for j in range(i + 1):
            if i in numbers and j in numbers:
                continue
            value = _association(variables[i], variables[j])
            if i == j and value is not None:
                value = 1.0
            matrix[i][j] = matrix[j][i] = None if value is None else round(value, 4)
    for i in numeric:
        if matrix[i][i] is not None:
            matrix[i][i] = 1.0
    return matrix


def _sample(variable: _Variable, rows: IntArray | None) -> _Variable:
    if rows is None:
        return variable
    if isinstance(variable, tuple):
        return (variable[0][rows], variable[1])
    return np.asarray(variable[rows], dtype="float64")


def associations(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    *,
    max_rows: int = ASSOCIATION_ROWS,
    seed: int = 0,
) -> dict[str, Any]:
    """The association matrix of each table, for the correlation plots of reports.

    One cell per pair of variables (not per one-hot modality, as the metric uses): signed
    Pearson r between numbers (datetimes in seconds, gaps at the originals' median), the
    correlation ratio η between a number and a category, and Cramér's V (without bias
    correction) between categories, the originals' 50 most frequent modalities kept and the
    rest pooled. All lie in [-1, 1], so one colour scale fits; ``None`` where undefined (a
    constant column). Above ``max_rows`` rows each side is estimated on a seeded sample of
    that many rows: a plot needs two decimals, not every row.

    Returns ``{"columns", "original", "avatars", "method"}`` (the ``correlations`` format of
    :mod:`avatar_figures.figures`).
    """
    if max_rows < 2:
        raise ValueError(f"max_rows must be at least 2, got {max_rows}")
    codec = _check_pair(original, avatars)
    side_o, side_a = _association_variables(codec, original, avatars)
    rng = np.random.default_rng(seed)

    def rows(n: int) -> IntArray | None:
        if n <= max_rows:
            return None
        return np.sort(rng.choice(n, size=max_rows, replace=False)).astype(np.intp)

    sample_o, sample_a = rows(len(original)), rows(len(avatars))
    return {
        "columns": [info.name for info in codec.columns],
        "original": _association_matrix([_sample(v, sample_o) for v in side_o]),
        "avatars": _association_matrix([_sample(v, sample_a) for v in side_a]),
        "method": ASSOCIATION_METHOD,
        "sampled_rows": {
            "original": len(original) if sample_o is None else max_rows,
            "avatars": len(avatars) if sample_a is None else max_rows,
        },
    }
