"""GeolocationNormalizationProcessor: longitudes re-expressed so that empty areas stay empty.

Points cluster on land, towns and roads; avatars interpolated between two clusters can land in
the sea. Per band of latitude (around ``n_reference_lat`` reference latitudes) the populated
longitude bins are laid side by side on [0, 1]: any value in [0, 1) decodes into a populated
bin. Latitude is kept as is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from avatars.processors._checks import (
    require_columns,
    require_distinct,
    require_fitted,
    require_frame,
    require_int,
    require_name,
    require_no_missing,
    require_numeric,
)


@dataclass(frozen=True)
class _Band:
    """The populated longitude ranges ``[lows[i], highs[i]]`` of one reference latitude."""

    lows: np.ndarray
    highs: np.ndarray

    def encode(self, lon: np.ndarray) -> np.ndarray:
        """Longitude → [0, 1]: range ``i`` owns ``[i/m, (i+1)/m)``; outside extrapolates."""
        slots = len(self.lows)
        index = np.clip(np.searchsorted(self.lows, lon, side="right") - 1, 0, slots - 1)
        width = self.highs[index] - self.lows[index]
        encoded: np.ndarray = (index + (lon - self.lows[index]) / width) / slots
        return encoded

    def decode(self, position: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`encode`."""
        slots = len(self.lows)
        index = np.clip(np.floor(np.nan_to_num(position) * slots).astype(int), 0, slots - 1)
        width = self.highs[index] - self.lows[index]
        decoded: np.ndarray = self.lows[index] + (position * slots - index) * width
        return decoded


class GeolocationNormalizationProcessor:
    """Longitude → position among the populated longitude bins of its latitude band."""

    def __init__(
        self,
        *,
        latitude_variable: str,
        longitude_variable: str,
        n_reference_lat: int,
        n_bins: int,
    ) -> None:
        self.latitude_variable = require_name(latitude_variable, "latitude_variable")
        self.longitude_variable = require_name(longitude_variable, "longitude_variable")
        require_distinct(
            {"latitude_variable": latitude_variable, "longitude_variable": longitude_variable}
        )
        self.n_reference_lat = require_int(n_reference_lat, "n_reference_lat", minimum=1)
        self.n_bins = require_int(n_bins, "n_bins", minimum=1)
        self._references: np.ndarray | None = None
        self._bands: list[_Band] = []

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """Fit the bands on ``df`` and return a copy with the longitude encoded."""
        require_frame(df, "df")
        self._check(df, "df")
        lat = df[self.latitude_variable].to_numpy(dtype="float64")
        lon = df[self.longitude_variable].to_numpy(dtype="float64")
        known = ~np.isnan(lon)
        if not known.any():
            raise ValueError(f"df: column {self.longitude_variable!r} holds no value to fit on")
        self._fit(lat[known], lon[known])
        result = df.copy()
        result[self.longitude_variable] = self._apply(lat, lon, encode=True)
        return result

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``dest`` with the longitude decoded with the fitted bands."""
        require_frame(source, "source")
        require_frame(dest, "dest")
        require_fitted(self._references is not None, "GeolocationNormalizationProcessor")
        self._check(dest, "dest")
        lat = dest[self.latitude_variable].to_numpy(dtype="float64")
        lon = dest[self.longitude_variable].to_numpy(dtype="float64")
        result = dest.copy()
        result[self.longitude_variable] = self._apply(lat, lon, encode=False)
        return result

    def _check(self, df: pd.DataFrame, argument: str) -> None:
        columns = [self.latitude_variable, self.longitude_variable]
        require_columns(df, columns, argument)
        require_numeric(df, columns, argument)
        require_no_missing(df, [self.latitude_variable], argument)

    def _fit(self, lat: np.ndarray, lon: np.ndarray) -> None:
        low, high = float(lat.min()), float(lat.max())
        candidates = np.linspace(low, high, self.n_reference_lat)
        tolerance = (
            np.inf if self.n_reference_lat == 1 else 0.5 * (high - low) / (self.n_reference_lat - 1)
        )
        references, bands = [], []
        for reference in candidates:
            members = lon[np.abs(lat - reference) <= tolerance]
            if members.size == 0:
                continue
            lo, hi = float(members.min()), float(members.max())
            span = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
            counts, edges = np.histogram(members, bins=self.n_bins, range=span)
            filled = counts > 0
            references.append(reference)
            bands.append(_Band(edges[:-1][filled], edges[1:][filled]))
        self._references = np.array(references)
        self._bands = bands

    def _apply(self, lat: np.ndarray, lon: np.ndarray, *, encode: bool) -> np.ndarray:
        assert self._references is not None
        nearest = np.argmin(np.abs(lat[:, None] - self._references[None, :]), axis=1)
        result = np.full(lon.shape, np.nan)
        for band_index, band in enumerate(self._bands):
            rows = (nearest == band_index) & ~np.isnan(lon)
            result[rows] = band.encode(lon[rows]) if encode else band.decode(lon[rows])
        return result
