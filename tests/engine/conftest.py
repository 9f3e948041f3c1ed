"""Shared data for engine tests (the real tables come from the root ``shared_data`` fixture)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def wbcd(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "wbcd.csv")


@pytest.fixture(scope="session")
def iris(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "iris.csv")


@pytest.fixture(scope="session")
def epl(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "epl.csv")


@pytest.fixture(scope="session")
def mixed() -> pd.DataFrame:
    """Every kind of column, with gaps: numbers, discrete codes, text, booleans, dates."""
    rng = np.random.default_rng(7)
    n = 600
    age = rng.integers(18, 90, n).astype(float)
    age[rng.random(n) < 0.1] = np.nan
    city = rng.choice(["Nantes", "Lyon", "Paris", "Lille"], n).astype(object)
    city[rng.random(n) < 0.05] = None
    when = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    stamp = pd.Series(
        pd.Timestamp("2021-06-01 08:00") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s")
    )
    stamp = stamp.mask(rng.random(n) < 0.08)
    return pd.DataFrame(
        {
            "age": age,
            "income": np.round(rng.lognormal(10, 0.5, n), 2),
            "children": rng.integers(0, 4, n),
            "city": city,
            "smoker": rng.random(n) < 0.3,
            "visit": when.strftime("%Y-%m-%d"),
            "stamp": stamp,
            "score": np.round(rng.normal(0, 1, n), 3),
        }
    )
