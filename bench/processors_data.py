"""The generated table of the processors bench: a column or a few for each processor, with gaps.

One row is a hospital stay of a patient; each patient has 1–20 stays, kept together and in
visit order (as a typical export is). Seeded, so both implementations and every run see the
same rows.

- ``patient`` (int id), ``visit`` (0.. within the patient), ``stay_start`` / ``stay_end``
  (int days, chained: each stay starts after the previous one ended): inter-record ranges;
- ``balance``: an account that drifts from stay to stay (float, complete): cumulated
  differences;
- ``admitted``: a datetime (whole seconds, 2 % missing): Datetime;
- ``part_a`` / ``part_b`` / ``part_c`` and their ``total`` (≥ 0, one decimal; ``part_c`` 2 %
  missing, each part 0 in 5 % of rows): Proportion;
- ``lat`` / ``lon``: points in a few cities over 42°–51° N (``lon`` 1 % missing):
  GeolocationNormalization;
- ``score`` (1–5) and ``flag`` (0/1): low-cardinality ints for ToCategorical;
- ``region`` (13 labels) and ``income`` (by region, 3 % missing): ExpectedMean, Perturbation;
- ``category``: 400 labels of Zipf-like frequencies, so many rare ones (1 % missing):
  GroupModalities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REGIONS = [f"region-{letter}" for letter in "ABCDEFGHIJKLM"]
CITIES = [(48.85, 2.35), (45.76, 4.84), (43.30, 5.37), (50.63, 3.06), (43.60, 1.44)]


def patients(rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Patient id and visit number of each row: 1–20 stays per patient, rows grouped."""
    counts = rng.integers(1, 21, size=rows // 5 + 20)
    counts = counts[: int(np.searchsorted(np.cumsum(counts), rows)) + 1]
    ids = np.repeat(rng.permutation(len(counts)) + 1000, counts)[:rows]
    starts = np.concatenate([[0], np.flatnonzero(ids[1:] != ids[:-1]) + 1])
    lengths = np.diff(np.concatenate([starts, [rows]]))
    visits = np.arange(rows) - np.repeat(starts, lengths)
    return ids, visits


def processor_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` stays (see the module docstring for what each column is for)."""
    rng = np.random.default_rng(seed)
    ids, visits = patients(rows, rng)
    new_patient = visits == 0
    group = np.cumsum(new_patient) - 1

    lengths = rng.integers(0, 31, size=rows)
    gaps = np.where(new_patient, rng.integers(0, 3650, size=rows), rng.integers(0, 200, size=rows))
    steps = gaps + np.concatenate([[0], lengths[:-1]]) * ~new_patient
    stay_start = _grouped_cumsum(steps, group)
    stay_end = stay_start + lengths

    balance_steps = np.where(new_patient, rng.normal(1000, 300, size=rows), 0.0)
    balance_steps += np.where(new_patient, 0.0, rng.normal(0, 80, size=rows))
    balance = np.round(_grouped_cumsum(balance_steps, group), 2)

    admitted = pd.Series(
        pd.Timestamp("2015-01-01") + pd.to_timedelta(stay_start * 86400, unit="s")
    ).astype("datetime64[s]")
    admitted = admitted + pd.to_timedelta(rng.integers(0, 86400, size=rows), unit="s")
    admitted = admitted.mask(rng.random(rows) < 0.02)

    parts = np.round(rng.gamma(2.0, 50.0, size=(rows, 3)), 1)
    parts[rng.random((rows, 3)) < 0.05] = 0.0
    total = np.round(parts.sum(axis=1), 1)
    part_c = np.where(rng.random(rows) < 0.02, np.nan, parts[:, 2])

    city = rng.integers(0, len(CITIES), size=rows)
    centres = np.array(CITIES)[city]
    lat = np.clip(centres[:, 0] + rng.normal(0, 0.6, size=rows), 42.0, 51.0)
    lon = centres[:, 1] + rng.normal(0, 0.4, size=rows)
    lon[rng.random(rows) < 0.01] = np.nan

    region_index = rng.integers(0, len(REGIONS), size=rows)
    income = rng.lognormal(10 + region_index / 20, 0.4, size=rows).round(0)
    income[rng.random(rows) < 0.03] = np.nan

    ranks = (rng.zipf(1.3, size=rows) - 1) % 400 + 1
    category = pd.Series([f"cat-{rank:03d}" for rank in ranks], dtype="str")
    category[rng.random(rows) < 0.01] = None

    return pd.DataFrame(
        {
            "patient": ids,
            "visit": visits,
            "stay_start": stay_start,
            "stay_end": stay_end,
            "balance": balance,
            "admitted": admitted,
            "part_a": parts[:, 0],
            "part_b": parts[:, 1],
            "part_c": part_c,
            "total": total,
            "lat": lat.round(5),
            "lon": lon.round(5),
            "score": rng.integers(1, 6, size=rows),
            "flag": (rng.random(rows) < 0.3).astype(np.int64),
            "region": pd.Series(np.array(REGIONS)[region_index], dtype="str"),
            "income": income,
            "category": category,
        }
    )


def shuffled_columns(df: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Each column shuffled on its own (same index): stands for avatars where only the
    columns' values matter, as for Perturbation's dest."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {column: df[column].to_numpy()[rng.permutation(len(df))] for column in df.columns},
        index=df.index,
    ).astype(df.dtypes.to_dict())


def _grouped_cumsum(steps: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running sum of ``steps`` restarting at each group (rows of a group are contiguous)."""
    totals = np.cumsum(steps)
    before = np.concatenate([[0], totals[:-1]])
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    offsets = before[starts]
    restarted: np.ndarray = totals - np.repeat(
        offsets, np.diff(np.concatenate([starts, [len(steps)]]))
    )
    return restarted
