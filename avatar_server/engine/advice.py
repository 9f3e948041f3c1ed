"""Parameter advice and a column summary for a table about to be anonymized.

The advice follows the published defaults and Octopize's rules of thumb (avatar-method.md
§1.1 and §1.2), adapted to the table's size and shape; each parameter comes with the reason it
was chosen, in words a data owner can check, and the table's problems come as warnings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.axes import FEWEST_AXES, MOST_AXES, default_ncp
from avatar_server.engine.codec import MAX_ONE_HOT_MODALITIES, TableCodec
from avatar_server.engine.columns import (
    NUMERIC_KINDS,
    ColumnInfo,
    column_numbers,
    describe_column,
)
from avatar_server.engine.projection import fit_projection, max_components
from avatar_server.engine.results import json_safe

PUBLISHED_K = 20
K_ROWS_PER_NEIGHBOUR = 50
CATEGORICAL_REDUCTION_MODALITIES = 20
KNN_MAX_ROWS = 50_000
MIN_ROWS = 10
ID_LIKE_SHARE = 0.9
ID_LIKE_MIN_ROWS = 20
MOSTLY_MISSING = 0.5
PROJECTION_SAMPLE_ROWS = 20_000
PROJECTION_MAX_DIMENSIONS = 500
TOP_MODALITIES = 10


@dataclass(frozen=True)
class Advice:
    """Advised avatarization parameters, why, and what to fix in the table first."""

    k: int
    ncp: int
    use_categorical_reduction: bool
    imputation: str | None
    reasons: dict[str, str]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(json_safe(asdict(self)))


@dataclass
class _Profile:
    """One column as the advice sees it; ``info`` is None when the column cannot be used."""

    name: str
    series: pd.Series
    info: ColumnInfo | None
    problem: str | None
    missing: int
    distinct: int
    numbers: np.ndarray[Any, np.dtype[np.float64]] | None = None
    counts: pd.Series | None = None

    @property
    def present(self) -> int:
        return len(self.series) - self.missing

    @property
    def continuous(self) -> bool:
        """Projected as one numeric axis, gaps imputed (discrete numbers are projected as
        categories, their gaps as a modality)."""
        return self.info is not None and self.info.kind in ("continuous", "datetime")

    @property
    def modalities(self) -> int:
        """Modalities in the encoded table: the values, plus one for gaps."""
        return self.distinct + (1 if self.missing else 0)

    @property
    def constant(self) -> bool:
        return self.info is not None and self.distinct <= 1

    @property
    def flat(self) -> bool:
        """Gives the projection no axis: a number or date with one value (its gaps are filled
        with it), or a category with one modality, gaps counted as one."""
        if self.info is None:
            return False
        return self.distinct <= 1 if self.continuous else self.modalities <= 1

    @property
    def id_like(self) -> bool:
        if self.info is None or self.present < ID_LIKE_MIN_ROWS:
            return False
        candidate = self.info.kind == "categorical" or (
            self.info.kind == "continuous" and self.info.integral
        )
        return candidate and self.distinct >= ID_LIKE_SHARE * self.present


def _profile(name: str, series: pd.Series) -> _Profile:
    missing = int(series.isna().sum())
    try:
        info = describe_column(name, series)
    except ValueError as exc:
        distinct = int(series.nunique(dropna=True)) if missing < len(series) else 0
        return _Profile(name, series, None, str(exc), missing, distinct)
    numbers = column_numbers(series, info) if info.kind in NUMERIC_KINDS else None
    if info.kind in ("continuous", "datetime"):
        counts = None
        distinct = int(np.unique(numbers[~np.isnan(numbers)]).size) if numbers is not None else 0
    else:
        counts = series.value_counts(dropna=True, sort=True)
        counts = counts[counts > 0]  # unused categories of a category dtype
        distinct = int(counts.size)
    return _Profile(name, series, info, None, missing, distinct, numbers, counts)


def _profiles(df: pd.DataFrame) -> list[_Profile]:
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ValueError("the table is empty: it needs at least one row and one column")
    if df.columns.duplicated().any():
        duplicated = sorted(set(df.columns[df.columns.duplicated()].astype(str)))
        raise ValueError(f"duplicate column names: {duplicated}")
    return [_profile(str(name), df[name]) for name in df.columns]


def table_summary(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-column statistics for a first look at a table (plain JSON types).

    Every column has ``name``, ``kind`` (None when the column cannot be anonymized, with the
    ``problem``), ``dtype``, ``missing``, ``missing_rate`` and ``distinct`` (non-missing values).
    Numbers and datetimes (in seconds since the epoch) add ``mean``, ``std``, ``min``, ``max``
    and ``median``; categories, booleans and discrete numbers add ``top``, their 10 most
    frequent values (as text) with their counts.
    """
    summaries = []
    for profile in _profiles(df):
        summary: dict[str, Any] = {
            "name": profile.name,
            "kind": profile.info.kind if profile.info is not None else None,
            "dtype": str(profile.series.dtype),
            "missing": profile.missing,
            "missing_rate": profile.missing / len(df),
            "distinct": profile.distinct,
            "problem": profile.problem,
        }
        if profile.numbers is not None:
            present = profile.numbers[~np.isnan(profile.numbers)]
            summary.update(
                mean=float(present.mean()),
                std=float(present.std(ddof=1)) if present.size > 1 else None,
                min=float(present.min()),
                max=float(present.max()),
                median=float(np.median(present)),
            )
        if profile.counts is not None:
            top = profile.counts.iloc[:TOP_MODALITIES]
            summary["top"] = [
                {"value": str(value), "count": int(count)} for value, count in top.items()
            ]
        summaries.append(json_safe(summary))
    return summaries


def _advise_k(n: int) -> tuple[int, str]:
    k = max(2, min(PUBLISHED_K, n // K_ROWS_PER_NEIGHBOUR))
    if k == PUBLISHED_K:
        return k, (
            f"k = {PUBLISHED_K} is the published default (the paper used it on tables of 683 "
            f"and 2,139 rows); with {n:,} rows each avatar still mixes a small neighbourhood."
        )
    return k, (
        f"The published default k = {PUBLISHED_K} suits tables of 1,000 rows or more; with "
        f"{n:,} rows, k = {k} (one neighbour per {K_ROWS_PER_NEIGHBOUR} rows, at least 2) keeps "
        "each avatar's neighbourhood a small part of the table, so the avatars are not "
        "averaged towards the table's centre. A larger k protects more and keeps less detail."
    )


def _projected(profiles: list[_Profile]) -> list[_Profile]:
    """The columns the advice projects: usable, neither constant nor identifier-like, and not
    wider than a one-hot projection takes (the avatarization leaves those out of it too)."""
    return [
        p
        for p in profiles
        if p.info is not None
        and not p.id_like
        and not p.constant
        and (p.continuous or p.modalities <= MAX_ONE_HOT_MODALITIES)
    ]


def _analysed_frame(used: list[_Profile]) -> pd.DataFrame:
    """The table as the projection would see it (on a sample of rows for large tables)."""
    table = pd.DataFrame({p.name: p.series.reset_index(drop=True) for p in used})
    if len(table) > PROJECTION_SAMPLE_ROWS:
        table = table.sample(PROJECTION_SAMPLE_ROWS, random_state=0).reset_index(drop=True)
    # Few-valued numbers as numbers, as the avatarization projects them by default.
    codec = TableCodec([p.info for p in used if p.info is not None]).with_discrete_as_numbers()
    numeric = codec.numeric_values(table)
    if numeric.size:
        medians = np.nanmedian(numeric, axis=0)
        rows, cols = np.nonzero(np.isnan(numeric))
        numeric[rows, cols] = medians[cols]
    return codec.encode(table, numeric)


def _advise_ncp(df: pd.DataFrame, profiles: list[_Profile]) -> tuple[int, str]:
    """The axes rule's count (``engine.axes``) on the table as the advice sees it. The run
    decides again on its own projected columns (after categorical reduction, with its
    imputation), so the two can differ by an axis near the rule's threshold."""
    used = _projected(profiles)
    if not used:
        return 1, "No column is usable for the projection as the table stands (see warnings)."
    dimensions = sum(1 if p.continuous else p.modalities for p in used)
    if dimensions > PROJECTION_MAX_DIMENSIONS:
        return MOST_AXES, (
            f"The table has {dimensions} dimensions after one-hot encoding, too many to "
            f"analyse here: with no ncp given the run keeps {FEWEST_AXES} to {MOST_AXES} axes "
            f"by its own analysis; {MOST_AXES} is the most it keeps."
        )
    encoded = _analysed_frame(used)
    limit = max_components(encoded)
    ncp = default_ncp(encoded)
    shares = fit_projection(encoded, ncp, seed=0).explained_variance_ratio
    sampled = " (on a sample of rows)" if len(df) > PROJECTION_SAMPLE_ROWS else ""
    if limit <= FEWEST_AXES:
        reason = f"The table has only {limit} independent dimension(s), so ncp = {ncp}."
    else:
        reason = (
            f"ncp = {ncp}: the leading axes that carry more of the variance than the same axis "
            f"of the table with its columns shuffled, at least {FEWEST_AXES} and at most "
            f"{MOST_AXES}; with no ncp given the run makes the same analysis on its own "
            "projected columns, which can read one axis more or less."
        )
    return ncp, reason + (
        f" These {ncp} axes explain {sum(shares):.0%} of the table's variance{sampled}; the "
        "rest enters the avatars as noise with the originals' covariance, tied to no one. "
        "Raise ncp if individuals differ mostly along minor axes; lower it to smooth more."
    )


def _advise_reduction(profiles: list[_Profile]) -> tuple[bool, str]:
    categorical = [
        p
        for p in profiles
        if p.info is not None and p.info.kind in ("categorical", "boolean") and not p.id_like
    ]
    wide = [p for p in categorical if p.modalities > CATEGORICAL_REDUCTION_MODALITIES]
    if wide:
        names = ", ".join(f"{p.name!r} ({p.modalities})" for p in wide)
        return True, (
            f"Categorical columns with more than {CATEGORICAL_REDUCTION_MODALITIES} modalities: "
            f"{names} (a gap counts as a modality). One-hot, each would spread the projection's "
            "axes over many rare modalities; categorical reduction leaves them out of the "
            "projection (neighbours are found on the other columns) and gives each avatar a "
            f"value its neighbours hold. Columns with more than {MAX_ONE_HOT_MODALITIES} "
            "modalities are treated so in any case."
        )
    return False, (
        f"No categorical column has more than {CATEGORICAL_REDUCTION_MODALITIES} modalities, so "
        "the one-hot projection handles them directly and categorical reduction is not needed."
    )


def _advise_imputation(n: int, profiles: list[_Profile]) -> tuple[str | None, str]:
    gaps = [p.name for p in profiles if p.continuous and p.missing]
    if not gaps:
        return None, (
            "No numeric column has missing values, so nothing needs imputing (missing "
            "categories are kept as their own modality)."
        )
    listed = ", ".join(repr(name) for name in gaps[:5]) + (", ..." if len(gaps) > 5 else "")
    if n <= KNN_MAX_ROWS:
        return "knn", (
            f"Numeric columns with gaps ({listed}) are filled from the most similar complete "
            f"rows before the projection, and the gaps are restored in the avatars; knn "
            f"compares with every row, affordable up to {KNN_MAX_ROWS:,} rows."
        )
    return "fast_knn", (
        f"Numeric columns with gaps ({listed}) are filled from the most similar rows before the "
        f"projection, and the gaps are restored in the avatars; above {KNN_MAX_ROWS:,} rows, "
        "fast_knn compares with a random sample of rows instead of all of them."
    )


def _size_warnings(n: int) -> list[str]:
    """The warning of a table too small to anonymize (none for a large enough one)."""
    if n >= MIN_ROWS:
        return []
    return [
        f"The table has {n} rows: too few rows to anonymize; avatars of so few individuals "
        "either copy them or lose all their signal."
    ]


def _warnings(n: int, profiles: list[_Profile]) -> list[str]:
    warnings = _size_warnings(n)
    for p in profiles:
        if p.info is None:
            warnings.append(f"Column {p.name!r} cannot be anonymized as it is: {p.problem}.")
            continue
        if p.constant:
            warnings.append(
                f"Column {p.name!r} has a single value (apart from gaps): it carries no "
                "information and can be dropped."
            )
        elif p.id_like:
            warnings.append(
                f"Column {p.name!r} looks like an identifier ({p.distinct:,} distinct values in "
                f"{p.present:,} rows; it is left out of this advice): identifiers cannot be "
                "anonymized by mixing records; drop it, pseudonymize it, declare it as a key, "
                "or keep it grouped."
            )
        if p.missing > MOSTLY_MISSING * n:
            warnings.append(
                f"Column {p.name!r} is {p.missing / n:.0%} missing: it carries little "
                "information, and its gaps drive its avatars; consider dropping it."
            )
    return warnings


def avatarization_warnings(df: pd.DataFrame) -> list[str]:
    """What the owner of ``df`` should know before trusting its avatars, as the standard job
    records it with its results (``run_metadata.warnings``).

    An identifier-like column is avatarized like any other, and that deserves a warning: its
    avatars take values like the originals' ones, so an original identifier can reappear in
    the avatars. Constant and mostly missing columns are avatarized too, with a warning.
    Columns that cannot be avatarized at all (entirely missing, infinite values) are left to
    the avatarization's own error.

    Raises ValueError when no column varies: the projection would have no axis to search
    neighbours on.
    """
    warnings = ColumnWarnings(len(df))
    for profile in _profiles(df):
        warnings.add_profile(profile)
    return warnings.finish()


class ColumnWarnings:
    """:func:`avatarization_warnings` gathered one column at a time, for a table read a column
    at a time (too large to hold whole): the same warnings, in the same order."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.names: list[str] = []
        self.flat = True
        self.found: list[str] = []

    def add(self, name: str, series: pd.Series) -> ColumnInfo | None:
        """Look at one whole column (then it can be let go); its description, as
        ``describe_column`` gives it (None when it cannot be avatarized)."""
        profile = _profile(name, series)
        self.add_profile(profile)
        return profile.info

    def add_profile(self, p: _Profile) -> None:
        n = self.rows
        self.names.append(p.name)
        self.flat = self.flat and p.flat
        if p.info is None:
            return
        if p.constant:
            self.found.append(
                f"Column {p.name!r} has a single value (apart from gaps): every avatar copies "
                "it; it carries no information and can be dropped."
            )
        elif p.id_like:
            self.found.append(
                f"Column {p.name!r} looks like an identifier ({p.distinct:,} distinct values in "
                f"{p.present:,} rows): its avatars take values like the originals' ones, so an "
                "original identifier can reappear in the avatars; drop it, pseudonymize it, "
                "declare it as a key, or keep it grouped."
            )
        if p.missing > MOSTLY_MISSING * n:
            self.found.append(
                f"Column {p.name!r} is {p.missing / n:.0%} missing: it carries little "
                "information, and its gaps drive its avatars; consider dropping it."
            )

    def merge(self, other: ColumnWarnings) -> None:
        """Add what ``other`` found on the columns after this one's (gathered apart)."""
        self.names += other.names
        self.flat = self.flat and other.flat
        self.found += other.found

    def finish(self) -> list[str]:
        """The warnings, or ValueError when no column varies."""
        if self.flat:
            names = ", ".join(repr(name) for name in self.names[:10])
            raise ValueError(
                f"no column varies ({names}{', ...' if len(self.names) > 10 else ''}: each "
                "holds a single value): there is nothing to mix, the avatars could only copy "
                "the table; add columns that vary, or drop these"
            )
        return _size_warnings(self.rows) + self.found


def advise(df: pd.DataFrame) -> Advice:
    """Avatarization parameters suited to ``df``, with reasons and warnings.

    Raises ValueError for an empty table, or one with fewer than 3 rows (k must be at least 2
    and less than the number of rows).
    """
    profiles = _profiles(df)
    n = len(df)
    if n < 3:
        raise ValueError(
            f"the table has {n} row(s): at least 3 are needed, as k must be at least 2 and "
            "less than the number of rows"
        )
    k, k_reason = _advise_k(n)
    ncp, ncp_reason = _advise_ncp(df, profiles)
    reduction, reduction_reason = _advise_reduction(profiles)
    imputation, imputation_reason = _advise_imputation(n, profiles)
    return Advice(
        k=k,
        ncp=ncp,
        use_categorical_reduction=reduction,
        imputation=imputation,
        reasons={
            "k": k_reason,
            "ncp": ncp_reason,
            "use_categorical_reduction": reduction_reason,
            "imputation": imputation_reason,
        },
        warnings=_warnings(n, profiles),
    )
