"""GeolocationNormalizationProcessor: examples, named columns, round trip, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from avatars.processors import GeolocationNormalizationProcessor
from tests.processors.tables import SEEDS


def _processor(n_reference_lat: int = 3, n_bins: int = 5) -> GeolocationNormalizationProcessor:
    return GeolocationNormalizationProcessor(
        latitude_variable="y",
        longitude_variable="x",
        n_reference_lat=n_reference_lat,
        n_bins=n_bins,
    )


def test_reference_example_with_own_column_names() -> None:
    frame = pd.DataFrame({"y": [49.1, 49.2, 49.3, 49.3], "x": [3.21, 3.19, 3.11, 3.18]})
    processor = _processor()
    encoded = processor.preprocess(frame)
    np.testing.assert_allclose(encoded["x"], [0.5, 0.5, 0.0, 1.0])
    assert encoded["y"].tolist() == frame["y"].tolist()
    dest = pd.DataFrame({"y": [49.3, 49.3, 49.3, 49.1, 48.0], "x": [0.49, 0.5, 1.0, 0.3, -0.5]})
    decoded = processor.postprocess(frame, dest)
    np.testing.assert_allclose(decoded["x"], [3.12372, 3.166, 3.18, 3.17, 3.01], atol=1e-5)


def test_two_reference_latitudes() -> None:
    frame = pd.DataFrame({"y": [0, 0.5, 1, 1], "x": [0, 10, 1, 2]})
    encoded = _processor(2, 4).preprocess(frame)
    np.testing.assert_allclose(encoded["x"], [0.0, 1.0, 0.0, 2 / 9])


def test_positions_in_the_unit_interval_decode_into_populated_bins() -> None:
    rng = np.random.default_rng(3)
    lon = np.concatenate([rng.uniform(0, 1, 100), rng.uniform(9, 10, 100)])
    frame = pd.DataFrame({"y": np.zeros(200), "x": lon})
    processor = _processor(1, 10)
    processor.preprocess(frame)
    decoded = processor.postprocess(
        frame, pd.DataFrame({"y": np.zeros(50), "x": np.linspace(0, 0.999, 50)})
    )
    assert ((decoded["x"] <= 1.0) | (decoded["x"] >= 9.0)).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_round_trip_keeps_other_columns_and_dtypes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = 200
    lon = np.where(rng.random(rows) < 0.5, rng.normal(2, 0.3, rows), rng.normal(7, 0.5, rows))
    lon[rng.random(rows) < 0.1] = np.nan
    frame = pd.DataFrame(
        {"y": rng.uniform(40, 50, rows), "x": lon, "name": rng.choice(["a", "b"], rows)},
        index=rng.permutation(rows) + 10,
    )
    processor = _processor(4, 12)
    encoded = processor.preprocess(frame)
    assert encoded["x"].dropna().between(0, 1).all()
    assert encoded["x"].dtype == np.float64
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame, atol=1e-9)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="n_reference_lat must be at least 1"):
        _processor(0, 5)
    with pytest.raises(TypeError, match="n_bins must be an int"):
        _processor(2, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must name different columns"):
        GeolocationNormalizationProcessor(
            latitude_variable="y", longitude_variable="y", n_reference_lat=2, n_bins=2
        )
    processor = _processor()
    frame = pd.DataFrame({"y": [1.0, 2.0], "x": [1.0, 2.0]})
    with pytest.raises(RuntimeError, match="call preprocess first"):
        processor.postprocess(frame, frame)
    with pytest.raises(ValueError, match=r"columns \['x'\]"):
        processor.preprocess(frame[["y"]])
    with pytest.raises(ValueError, match="'y' has missing values"):
        processor.preprocess(frame.assign(y=[1.0, np.nan]))
    with pytest.raises(TypeError, match="'x' must be numeric"):
        processor.preprocess(frame.assign(x=["a", "b"]))
