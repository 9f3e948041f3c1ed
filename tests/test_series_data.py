"""The series data check on stored datasets, without the API: a (person, time) hash shared by
rows that differ never refuses a good table (the suspects are read again and compared), and a
true duplicate is still found when every hash collides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avatar_server.db.models import Dataset, DatasetFormat
from avatar_server.services import series_data
from avatar_server.services.errors import UnprocessableError
from avatar_server.storage import Storage
from avatar_yaml import ColumnInfo, Config, LinkMethod


def _stored(storage: Storage, frame: pd.DataFrame, name: str) -> Dataset:
    key = f"{name}.parquet"
    with storage.open_write(key) as handle:
        frame.to_parquet(handle, index=False)
    dtypes = {"i": "int64", "f": "float64"}
    columns = [{"name": c, "dtype": dtypes.get(frame[c].dtype.kind, "string")} for c in frame]
    return Dataset(storage_key=key, format=DatasetFormat.PARQUET, columns=columns, rows=len(frame))


def _run() -> Config:
    config = Config.new("series")
    config.add_table("person", "p", columns=[ColumnInfo(field="id", primary_key=True)])
    config.add_table(
        "series",
        "s",
        columns=[
            ColumnInfo(field="id", identifier=True),
            ColumnInfo(field="t", time_series_time=True),
        ],
    )
    config.add_link("person", "id", "series", "id", LinkMethod.TIME_SERIES)
    return config


def test_colliding_hashes_never_refuse_a_good_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = Storage(str(tmp_path / "store"))
    person = pd.DataFrame({"id": [10, 11, 12]})
    series = pd.DataFrame({"id": np.repeat([10, 11, 12], 4), "t": np.tile([0.0, 1, 2, 3], 3)})
    series["value"] = np.arange(12.0)
    datasets = {"person": _stored(storage, person, "p"), "series": _stored(storage, series, "s")}
    config = _run()
    series_data.check_series_data(storage, config, datasets)
    monkeypatch.setattr(
        series_data, "_pair_hashes", lambda persons, times: np.zeros(len(persons), np.uint64)
    )
    series_data.check_series_data(storage, config, datasets)  # every hash equal, no duplicate
    series.loc[5, "t"] = 0.0  # person 11 twice at 0
    datasets["series"] = _stored(storage, series, "s2")
    with pytest.raises(UnprocessableError, match=r"1 rows repeat a time .* e\.g\. 11 at 0;"):
        series_data.check_series_data(storage, config, datasets)
