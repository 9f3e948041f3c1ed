"""DatetimeProcessor: the reference's examples, round trip, rounding, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from avatars.processors import DatetimeProcessor
from tests.processors.tables import SEEDS, messy_table


def _when(*values: str | None) -> pd.DataFrame:
    return pd.DataFrame({"when": pd.Series(pd.to_datetime(pd.Series(values))).dt.as_unit("s")})


def test_preprocess_gives_float_seconds_and_nan_for_nat() -> None:
    frame = _when("2015-01-01 07:00:00", None, "1969-12-31 23:59:59")
    encoded = DatetimeProcessor().preprocess(frame)
    assert encoded["when"].dtype == np.float64
    assert encoded["when"].tolist()[0] == 1420095600.0
    assert np.isnan(encoded["when"].iloc[1])
    assert encoded["when"].iloc[2] == -1.0
    assert frame["when"].dtype == "datetime64[s]", "the input must not change"


def test_postprocess_rounds_to_the_nearest_second_and_nan_gives_nat() -> None:
    processor = DatetimeProcessor()
    source = _when("2015-01-01", "2015-01-01", "2015-01-01", "2015-01-01")
    processor.preprocess(source)
    dest = pd.DataFrame({"when": [1.9, -1.5, -0.4, np.nan]})
    decoded = processor.postprocess(source, dest)
    assert decoded["when"].dtype == "datetime64[s]"
    assert decoded["when"].iloc[:3].tolist() == [
        pd.Timestamp("1970-01-01 00:00:02"),
        pd.Timestamp("1969-12-31 23:59:58"),
        pd.Timestamp("1970-01-01 00:00:00"),
    ]
    assert pd.isna(decoded["when"].iloc[3])
    assert dest["when"].tolist()[:3] == [1.9, -1.5, -0.4], "dest must not change"


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_round_trip_keeps_values_and_unit(unit: str) -> None:
    texts = pd.Series(["2020-02-29 23:59:59.750", None, "1901-05-03 00:00:00.000"])
    stamps = pd.to_datetime(texts).astype(np.dtype(f"datetime64[{unit}]"))
    frame = pd.DataFrame({"when": stamps, "x": [1, 2, 3]})
    processor = DatetimeProcessor()
    back = processor.postprocess(frame, processor.preprocess(frame))
    pd.testing.assert_frame_equal(back, frame)


def test_timezone_aware_columns_round_trip() -> None:
    stamps = pd.DatetimeIndex(["2021-03-28 01:30:00", None]).tz_localize("Europe/Paris")
    frame = pd.DataFrame({"when": stamps})
    processor = DatetimeProcessor()
    encoded = processor.preprocess(frame)
    assert encoded["when"].iloc[0] == pd.Timestamp("2021-03-28 00:30:00").timestamp()
    pd.testing.assert_frame_equal(processor.postprocess(frame, encoded), frame)


@pytest.mark.parametrize("seed", SEEDS)
def test_round_trip_on_messy_tables(seed: int) -> None:
    frame = messy_table(seed)
    processor = DatetimeProcessor()
    pd.testing.assert_frame_equal(processor.postprocess(frame, processor.preprocess(frame)), frame)


def test_seconds_outside_the_datetime_range_are_refused() -> None:
    processor = DatetimeProcessor()
    source = _when("2015-01-01")
    processor.preprocess(source)
    with pytest.raises(ValueError, match="'when' holds seconds outside"):
        processor.postprocess(source, pd.DataFrame({"when": [1e10]}))


def test_bad_calls_are_refused() -> None:
    processor = DatetimeProcessor()
    with pytest.raises(RuntimeError, match="call preprocess first"):
        processor.postprocess(_when("2015-01-01"), _when("2015-01-01"))
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        processor.preprocess([1, 2])  # type: ignore[arg-type]
    source = _when("2015-01-01")
    processor.preprocess(source)
    with pytest.raises(ValueError, match="'when' is missing"):
        processor.postprocess(source, pd.DataFrame({"x": [1.0]}))
    with pytest.raises(TypeError, match="must hold float seconds"):
        processor.postprocess(source, pd.DataFrame({"when": ["soon"]}))
