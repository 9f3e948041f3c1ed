"""Reading a run's tables: the uploaded dataset, typed and trimmed as its schema declares."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd

from avatar_server.db.models import CsvDialect, Dataset, DatasetFormat
from avatar_server.storage import Storage
from avatar_yaml import ColumnType, TableInfo


@dataclass
class PreparedTable:
    """A table ready for the engine: the columns to avatarize, and what was set aside."""

    name: str
    data: pd.DataFrame
    primary_key: str | None = None
    dropped: list[str] = field(default_factory=list)
    file_format: str = "csv"


def read_frame(
    storage: Storage, key: str, file_format: str, dialect: CsvDialect | None = None
) -> pd.DataFrame:
    """A stored table. A CSV is read with ``dialect``, the one its upload found or was told
    (the default, comma-separated UTF-8, is how the server writes its own result files)."""
    with storage.open_read(key) as handle:
        payload = handle.read()
    if file_format == DatasetFormat.PARQUET.value:
        return pd.read_parquet(io.BytesIO(payload))
    frame: pd.DataFrame = pd.read_csv(
        io.BytesIO(payload), **(dialect or CsvDialect()).pandas_options()
    )
    return frame


def apply_types(frame: pd.DataFrame, table: TableInfo) -> pd.DataFrame:
    """Cast the columns whose type the schema declares; a value that does not fit is an error."""
    frame = frame.copy()
    for column in table.columns or []:
        if column.type is None or column.field not in frame.columns:
            continue
        values = frame[column.field]
        try:
            frame[column.field] = _cast(values, ColumnType(column.type))
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"table {table.name!r}: column {column.field!r} cannot be read as "
                f"{column.type}: {error}"
            ) from None
    return frame


def _cast(values: pd.Series, kind: ColumnType) -> pd.Series:
    if kind == ColumnType.CATEGORY:
        return values.astype("string").astype(object).where(values.notna(), None)
    if kind == ColumnType.FLOAT:
        return pd.to_numeric(values, errors="raise").astype("float64")
    if kind == ColumnType.INT:
        numbers = pd.to_numeric(values, errors="raise")
        if numbers.isna().any():
            return numbers.astype("float64")
        if (numbers != numbers.round()).any():
            raise ValueError("it holds non-integer numbers")
        return numbers.astype("int64")
    if kind == ColumnType.BOOL:
        if values.dtype == bool:
            return values
        text = values.astype("string").str.strip().str.lower()
        mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
        unknown = sorted(set(text.dropna()) - set(mapping))
        if unknown:
            raise ValueError(f"values {unknown[:5]} are not booleans")
        return text.map(mapping).astype(object).where(values.notna(), None)
    utc = kind == ColumnType.DATETIME_TZ
    return pd.to_datetime(values, errors="raise", utc=utc, format="mixed")


def prepare_table(storage: Storage, dataset: Dataset, table: TableInfo) -> PreparedTable:
    """The dataset of ``table`` as the engine should see it.

    Columns marked ``drop`` are removed; the primary key and foreign keys (identifiers) are
    set aside, as identifiers must never be mixed into or copied to avatars.
    """
    dialect = CsvDialect.from_json(dataset.csv_dialect)
    frame = apply_types(
        read_frame(storage, dataset.storage_key, dataset.format.value, dialect), table
    )
    primary_key = None
    dropped: list[str] = []
    for column in table.columns or []:
        if column.field not in frame.columns:
            continue
        if column.primary_key:
            primary_key = column.field
        elif column.drop or column.identifier:
            dropped.append(column.field)
    removed = dropped + ([primary_key] if primary_key else [])
    return PreparedTable(
        name=table.name,
        data=frame.drop(columns=removed),
        primary_key=primary_key,
        dropped=dropped,
        file_format=dataset.format.value,
    )
