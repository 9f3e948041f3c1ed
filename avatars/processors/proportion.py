"""ProportionProcessor: parts of a total expressed as proportions, and back.

Avatarizing ``a``, ``b`` and their total ``tot`` independently breaks ``a + b = tot``. As
proportions the parts keep that relation: postprocess multiplies them back by the avatar's
reference and, with ``sum_to_one``, rounds them so that they still add up to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatars.processors._checks import (
    require_bool,
    require_columns,
    require_frame,
    require_int,
    require_name,
    require_names,
    require_numeric,
)
from avatars.processors.rounding import round_rows_keeping_sums


class ProportionProcessor:
    """``variable_names`` → shares of their row sum (``sum_to_one``) or of ``reference``."""

    def __init__(
        self,
        variable_names: list[str],
        reference: str,
        *,
        sum_to_one: bool = True,
        decimal_count: int = 1,
    ) -> None:
        self.variable_names = require_names(variable_names, "variable_names")
        self.reference = require_name(reference, "reference")
        if self.reference in self.variable_names:
            raise ValueError(f"reference {reference!r} must not be one of variable_names")
        self.sum_to_one = require_bool(sum_to_one, "sum_to_one")
        self.decimal_count = require_int(decimal_count, "decimal_count", minimum=0)

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy with the variables as proportions (NaN stays NaN, 0 gives 0)."""
        require_frame(df, "df")
        columns = [*self.variable_names, self.reference]
        require_columns(df, columns, "variable_names/reference")
        require_numeric(df, columns, "variable_names/reference")
        values = df[self.variable_names].astype("float64")
        if (values < 0).any().any():
            raise ValueError("variable_names: proportions need values ≥ 0; found negative ones")
        if self.sum_to_one:
            denominator = values.sum(axis=1, skipna=True)
        else:
            denominator = df[self.reference].astype("float64")
            blocked = (denominator == 0) & (values != 0).any(axis=1)
            if blocked.any():
                raise ValueError(
                    f"reference {self.reference!r} is 0 where variables are not "
                    f"(rows {list(df.index[blocked])[:5]}); use sum_to_one=True or fix the data"
                )
        shares = values.div(denominator.where(denominator != 0, np.inf), axis=0)
        result = df.copy()
        result[self.variable_names] = shares
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` with the proportions turned back into amounts.

        With ``sum_to_one`` each row's amounts are rounded to ``decimal_count`` so that they
        add up to the (rounded) reference; a row of zero proportions and a non-zero reference
        is split equally. Otherwise amounts are ``share × reference`` rounded to
        ``decimal_count``.
        """
        require_frame(source, "source")
        require_frame(dest, "dest")
        columns = [*self.variable_names, self.reference]
        require_columns(dest, columns, "variable_names/reference")
        require_numeric(dest, columns, "variable_names/reference")
        shares = dest[self.variable_names].to_numpy(dtype="float64")
        reference = dest[self.reference].to_numpy(dtype="float64")
        result = dest.copy()
        if self.sum_to_one:
            amounts = self._amounts(shares, reference)
        else:
            amounts = np.round(shares * reference[:, None], self.decimal_count)
        result[self.variable_names] = amounts
        return result

    def _amounts(self, shares: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Each row's shares times its reference, rounded keeping the row's sum; a row of
        zero shares is split equally; no reference, or no share, gives a row of gaps."""
        present = ~np.isnan(shares)
        weights = np.where(present, shares, 0.0)
        weight = weights.sum(axis=1)
        zero = weight == 0
        weights[zero] = present[zero].astype("float64")
        weight[zero] = present[zero].sum(axis=1)
        usable = ~np.isnan(reference) & present.any(axis=1)
        amounts = np.full(shares.shape, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = weights[usable] * (reference[usable] / weight[usable])[:, None]
        raw[~present[usable]] = np.nan
        amounts[usable] = round_rows_keeping_sums(raw, self.decimal_count)
        return amounts
