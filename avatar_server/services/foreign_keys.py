"""Foreign keys that point to no parent row, found before a linked run is stored.

A child row whose foreign key is missing, or holds a value no row of its parent has, cannot be
attached to any avatar parent: a linked avatarization of it would invent a parent or lose the
row. The upload's facts (distinct counts) cannot tell this, the values can: only the key columns
are read, in chunks, so a check costs the parent's key values and one chunk of the child, not
the tables.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from avatar_server.db.models import CsvDialect, Dataset, DatasetFormat
from avatar_server.services.errors import UnprocessableError
from avatar_server.storage import Storage
from avatar_yaml import Config
from avatar_yaml.links import planned_links

CHUNK_ROWS = 100_000
EXAMPLES = 3
_NUMERIC = ("int64", "float64")
MISSING = "(missing)"


def column_chunks(
    storage: Storage, dataset: Dataset, columns: list[str], text: Collection[str] = ()
) -> Iterator[pd.DataFrame]:
    """Only ``columns`` of the dataset, a chunk at a time: for a CSV (read as the upload read
    it), the ``text`` columns as written (``007`` stays ``007``) and the others as pandas
    infers them; for Parquet, the stored types."""
    with storage.open_read(dataset.storage_key) as handle:
        if dataset.format is DatasetFormat.PARQUET:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(
                batch_size=CHUNK_ROWS, columns=columns, use_threads=False
            ):
                yield batch.to_pandas()
            return
        options = CsvDialect.from_json(dataset.csv_dialect).pandas_options()
        dtype = dict.fromkeys(text, str) or None
        reader = pd.read_csv(handle, usecols=columns, dtype=dtype, chunksize=CHUNK_ROWS, **options)
        for chunk in reader:
            yield chunk[columns]


def _chunks(storage: Storage, dataset: Dataset, column: str, numeric: bool) -> Iterator[pd.Series]:
    """The key column's values, a chunk at a time: numbers when both keys are numbers, else
    the text as written."""
    for chunk in column_chunks(storage, dataset, [column], () if numeric else [column]):
        yield chunk[column]


def key_text(value: object) -> str:
    """A key value as it reads: ``5`` for the float 5.0 a column with gaps is stored as."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def comparable(values: pd.Series, numeric: bool) -> np.ndarray:
    """Values to compare across tables: numbers as float64 (NaN for text that is none), or
    text (``5`` however the number was stored)."""
    if numeric:
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    return np.array([key_text(value) for value in values], dtype=object)


@dataclass
class _Orphans:
    rows: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, values: pd.Series) -> None:
        self.rows += len(values)
        for value in values:
            shown = MISSING if pd.isna(value) else key_text(value)
            if len(self.examples) < EXAMPLES and shown not in self.examples:
                self.examples.append(shown)


def column_dtype(dataset: Dataset, column: str) -> str:
    return next((str(c["dtype"]) for c in dataset.columns if c["name"] == column), "string")


def numeric_keys(parent: Dataset, parent_key: str, child: Dataset, child_key: str) -> bool:
    """Keys are compared as numbers when both are stored as numbers, else as text."""
    dtypes = (column_dtype(parent, parent_key), column_dtype(child, child_key))
    return all(dtype in _NUMERIC for dtype in dtypes)


def check_foreign_keys(storage: Storage, config: Config, datasets: Mapping[str, Dataset]) -> None:
    """Every link's foreign key values exist among its parent's primary key values; else a 422
    naming the child table and column, how many rows are orphans and a few of their values."""
    for link in planned_links(config.schema):
        parent, child = datasets[link.parent], datasets[link.child]
        numeric = numeric_keys(parent, link.parent_key, child, link.child_key)
        keys = [
            comparable(chunk.dropna(), numeric)
            for chunk in _chunks(storage, parent, link.parent_key, numeric)
        ]
        known = np.unique(np.concatenate(keys)) if keys else np.array([])
        orphans = _Orphans()
        for chunk in _chunks(storage, child, link.child_key, numeric):
            values = comparable(chunk, numeric)
            present = chunk.notna().to_numpy()
            found = np.zeros(len(chunk), dtype=bool)
            found[present] = np.isin(values[present], known)
            if not found.all():
                orphans.add(chunk[~found])
        if orphans.rows:
            raise UnprocessableError(
                f"table {link.child!r}: foreign key {link.child_key!r} has {orphans.rows} rows "
                f"that match no row of table {link.parent!r} (primary key "
                f"{link.parent_key!r}), e.g. {', '.join(orphans.examples)}; every child row "
                "needs its parent: correct or remove these rows, or fill in the missing parents"
            )
