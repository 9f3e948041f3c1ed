"""ExpectedMeanProcessor: avatars rescaled so their mean (and std) match the original's.

The avatarization can shift a variable's mean slightly; this post-hoc correction moves each
target, per group of ``groupby_variables`` if given, so that the avatars' mean (and, with
``same_std``, the sample standard deviation) equals the one recorded at preprocess.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from avatars.processors._checks import (
    require_bool,
    require_columns,
    require_fitted,
    require_frame,
    require_names,
    require_numeric,
)


def _label(value: object) -> object:
    """A group key that compares across dtypes: avatars often bring int keys back as floats."""
    if pd.isna(value):  # type: ignore[call-overload]
        return "<NA>"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class ExpectedMeanProcessor:
    """postprocess: per group, ``x' = m_ref + (x − m) · (s_ref / s if same_std else 1)``."""

    def __init__(
        self,
        target_variables: list[str],
        *,
        groupby_variables: list[str] | None = None,
        same_std: bool = False,
    ) -> None:
        self.target_variables = require_names(target_variables, "target_variables")
        self.groupby_variables = (
            []
            if groupby_variables is None
            else require_names(groupby_variables, "groupby_variables")
        )
        both = set(self.target_variables) & set(self.groupby_variables)
        if both:
            raise ValueError(f"columns {sorted(both)} cannot be both target and groupby variables")
        self.same_std = require_bool(same_std, "same_std")
        self._reference: pd.DataFrame | None = None

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Record mean and sample std (ddof=1) of each target per group; return a copy."""
        require_frame(df, "df")
        self._check(df, "df")
        self._reference = self._stats(df)
        return df.copy()

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` (same rows, index and order) with the targets rescaled."""
        require_frame(source, "source")
        require_frame(dest, "dest")
        require_fitted(self._reference is not None, "ExpectedMeanProcessor")
        assert self._reference is not None
        self._check(dest, "dest")
        keys = self._keys(dest)
        current = self._stats(dest)
        known = keys.isin(self._reference.index)
        if not known.all():
            unknown = sorted(set(keys[~known]))
            raise ValueError(
                f"dest has groups of {self.groupby_variables} absent from the data given to "
                f"preprocess: {unknown[:5]}; merge or drop them first"
            )
        result = dest.copy()
        for target in self.target_variables:
            values = dest[target].astype("float64").to_numpy()
            m_ref = self._reference.loc[keys, f"{target}:mean"].to_numpy()
            m_cur = current.loc[keys, f"{target}:mean"].to_numpy()
            scale = np.ones(len(dest))
            if self.same_std:
                scale = self._scale(target, keys, current)
            result[target] = m_ref + (values - m_cur) * scale
        return result

    def _scale(self, target: str, keys: pd.Index, current: pd.DataFrame) -> np.ndarray:
        """s_ref / s per row; 1 (mean shift only, with a warning) where it is undefined."""
        assert self._reference is not None
        ratio = self._reference[f"{target}:std"] / current[f"{target}:std"]
        undefined = ~np.isfinite(ratio)
        if undefined.any():
            warnings.warn(
                f"ExpectedMeanProcessor: the std of {target!r} is 0 or undefined in groups "
                f"{list(ratio.index[undefined])[:5]}; only their mean is matched",
                UserWarning,
                stacklevel=3,
            )
        return ratio.where(~undefined, 1.0).loc[keys].to_numpy()

    def _check(self, df: pd.DataFrame, argument: str) -> None:
        require_columns(df, [*self.target_variables, *self.groupby_variables], argument)
        require_numeric(df, self.target_variables, f"{argument} target_variables")

    def _keys(self, df: pd.DataFrame) -> pd.Index:
        """One hashable group label per row; NaN keys are a group of their own ("<NA>")."""
        if not self.groupby_variables:
            return pd.Index(["all"] * len(df))
        # Labelled once per distinct value, not per row: a million rows have few groups.
        joined: pd.Series | None = None
        for column in self.groupby_variables:
            codes, uniques = pd.factorize(df[column].astype(object))
            named = np.array([repr(_label(u)) for u in uniques] + [repr("<NA>")], dtype=object)
            part = pd.Series(named[codes])  # a gap's code is -1: the last label
            joined = part if joined is None else joined.str.cat(part, sep=", ")
        assert joined is not None
        return pd.Index(("(" + joined + ")").to_numpy())

    def _stats(self, df: pd.DataFrame) -> pd.DataFrame:
        frame = df[self.target_variables].astype("float64")
        frame.index = self._keys(df)
        grouped = frame.groupby(level=0, sort=False)
        means = grouped.mean().add_suffix(":mean")
        stds = grouped.std(ddof=1).add_suffix(":std")
        return pd.concat([means, stds], axis=1)
