"""Reading a run's tables: the uploaded dataset, typed and trimmed as its schema declares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from avatar_server.db.models import CsvDialect, Dataset, DatasetFormat
from avatar_server.decoding import DecodedTooLargeError, read_table
from avatar_server.jobs.table_store import StoredTable, typed_key
from avatar_server.storage import Storage
from avatar_yaml import RISKY_ROLES, ColumnType, KeepMode, Pseudonymization, TableInfo

OTHER = "(other)"
"""The value of a grouped column that stands for every value fewer than ``k`` originals hold."""


@dataclass
class PreparedTable:
    """A table ready for the engine: the columns to avatarize, and what was set aside.

    ``pseudonymized`` holds the original values of the columns to pseudonymize (set aside like
    keys: the engine never sees them) with their strategy; ``grouped`` names the columns kept as
    categories of their common values only; ``kept_as_is`` the risky columns kept on purpose.
    """

    name: str
    data: pd.DataFrame
    primary_key: str | None = None
    dropped: list[str] = field(default_factory=list)
    file_format: str = "csv"
    pseudonymized: dict[str, tuple[pd.Series, Pseudonymization]] = field(default_factory=dict)
    grouped: list[str] = field(default_factory=list)
    grouping: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per grouped column: its distinct values before (``values``) and kept after
    (``kept_values``) the grouping, and the share of rows that became :data:`OTHER`."""
    kept_as_is: list[str] = field(default_factory=list)
    column_order: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    """The role the upload detected for each column (none for datasets older than roles)."""
    keys: dict[str, pd.Series] = field(default_factory=dict)
    """The original values of the primary key and the foreign keys (set aside like the other
    identifiers): they say which rows are linked, and the avatars' new keys must avoid them."""

    def identifying_columns(self, table: TableInfo) -> list[dict[str, object]]:
        """Each column whose role identifies people, with what the run does with it: for the
        report, which a data protection officer reads to see every such column accounted for.
        A grouped column also says how much of it the grouping kept (see ``grouping``)."""
        declared = {column.field: column for column in table.columns or []}
        found = []
        for name, role in self.roles.items():
            if role not in RISKY_ROLES:
                continue
            column = declared.get(name)
            if column is None:
                treatment = "none"
            elif column.primary_key or column.identifier:
                treatment = "key"
            elif column.drop:
                treatment = "drop"
            elif column.pseudonymization is not None:
                treatment = f"pseudonymized:{column.pseudonymization.kind}"
            elif column.keep is not None:
                treatment = f"keep:{column.keep}"
            else:
                treatment = "none"
            entry: dict[str, object] = {"column": name, "role": role, "treatment": treatment}
            entry.update(self.grouping.get(name, {}))
            found.append(entry)
        return found


def read_frame(
    storage: Storage,
    key: str,
    file_format: str,
    dialect: CsvDialect | None = None,
    *,
    max_decoded_bytes: int | None = None,
) -> pd.DataFrame:
    """A stored table. A CSV is read with ``dialect``, the one its upload found or was told
    (the default, comma-separated UTF-8, is how the server writes its own result files).

    An uploaded Parquet file is decoded within ``max_decoded_bytes`` (None: the server's own
    result files), as its upload was: a dataset stored before a lower limit is refused with
    :class:`~avatar_server.decoding.DecodedTooLargeError` (a ``ValueError``), not decoded."""
    # Parsed from the stream (ranged reads on S3), never first copied whole into memory.
    with storage.open_read(key) as handle:
        if file_format == DatasetFormat.PARQUET.value:
            if max_decoded_bytes is None:
                stored: pd.DataFrame = pd.read_parquet(handle)
                return stored
            table = read_table(handle, max_decoded_bytes=max_decoded_bytes)
            uploaded: pd.DataFrame = table.to_pandas()
            del table
            pa.default_memory_pool().release_unused()
            return uploaded
        frame: pd.DataFrame = pd.read_csv(handle, **(dialect or CsvDialect()).pandas_options())
        return frame


def read_dataset(
    storage: Storage, dataset: Dataset, *, max_decoded_bytes: int | None = None
) -> pd.DataFrame:
    """The uploaded table of ``dataset``, whole: from its typed copy when it has one (see
    :mod:`~avatar_server.jobs.table_store`), else parsed from the uploaded file. Either
    way the same frame; an uploaded Parquet file is decoded within ``max_decoded_bytes``."""
    key = typed_key(dataset.storage_key)
    if key is not None:
        try:
            with storage.open_read(key) as handle:
                return StoredTable.open(handle).read(max_decoded_bytes=max_decoded_bytes)
        except FileNotFoundError:
            pass  # stored before typed copies, or a table that has no faithful one
    return read_frame(
        storage,
        dataset.storage_key,
        dataset.format.value,
        CsvDialect.from_json(dataset.csv_dialect),
        max_decoded_bytes=max_decoded_bytes,
    )


def dataset_row_groups(storage: Storage, dataset: Dataset) -> list[int] | None:
    """How many rows each row group of the dataset's typed copy holds (``batch_rows`` each
    when it was stored, but the last), or None when it has none: then only
    :func:`read_dataset` can read it."""
    key = typed_key(dataset.storage_key)
    if key is None:
        return None
    try:
        with storage.open_read(key) as handle:
            return StoredTable.open(handle).group_rows()
    except FileNotFoundError:
        return None


def read_dataset_groups(storage: Storage, dataset: Dataset, groups: Sequence[int]) -> pd.DataFrame:
    """Rows of the dataset by row groups of its typed copy (see :func:`dataset_row_groups`):
    the same rows, columns, dtypes and index as ``read_dataset(...).iloc`` over them, reading
    only those groups. ``FileNotFoundError`` when the dataset has no typed copy."""
    key = typed_key(dataset.storage_key)
    if key is None:
        raise FileNotFoundError(f"dataset {dataset.id} has no typed copy to read by row groups")
    with storage.open_read(key) as handle:
        return StoredTable.open(handle).read_groups(groups)


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


def group_rare_values(values: pd.Series, k: int) -> pd.Series:
    """The column as text, every value fewer than ``k`` originals hold replaced by
    :data:`OTHER`: a value so rare points at few people, the common ones at ``k`` or more."""
    text = values.map(lambda v: v if pd.isna(v) else str(v)).astype(object)
    counts = text.value_counts()
    rare = set(counts[counts < k].index)
    return text.map(lambda v: OTHER if v in rare else v).astype(object)


def prepare_table(
    storage: Storage,
    dataset: Dataset,
    table: TableInfo,
    k: int | None = None,
    *,
    max_decoded_bytes: int | None = None,
) -> PreparedTable:
    """The dataset of ``table`` as the engine should see it.

    Columns marked ``drop`` are removed; the primary key and foreign keys (identifiers) are
    set aside, as identifiers must never be mixed into or copied to avatars; so are the columns
    to pseudonymize, whose pseudonyms are made after the avatarization. Columns kept
    ``grouped`` keep only their values held by at least ``k`` originals (``k`` of the
    avatarization; None leaves them as they are, for a table that is only advised on).
    A Parquet dataset is decoded within ``max_decoded_bytes`` (see :func:`read_dataset`).
    """
    try:
        original = read_dataset(storage, dataset, max_decoded_bytes=max_decoded_bytes)
    except DecodedTooLargeError as error:
        raise DecodedTooLargeError(f"table {table.name!r}: {error}") from None
    frame = apply_types(original, table)
    prepared = PreparedTable(
        name=table.name,
        data=frame,
        file_format=dataset.format.value,
        column_order=[str(c) for c in frame.columns],
        roles={str(c["name"]): str(c["role"]) for c in dataset.columns if c.get("role")},
    )
    for column in table.columns or []:
        if column.field not in frame.columns:
            continue
        if column.primary_key or column.identifier:
            prepared.keys[column.field] = frame[column.field]
        if column.primary_key:
            prepared.primary_key = column.field
        elif column.drop or column.identifier:
            prepared.dropped.append(column.field)
        elif column.pseudonymization is not None:
            prepared.pseudonymized[column.field] = (frame[column.field], column.pseudonymization)
        elif column.keep is KeepMode.GROUPED:
            prepared.grouped.append(column.field)
            if k is not None:
                before = frame[column.field]
                frame[column.field] = group_rare_values(before, k)
                after = frame[column.field]
                prepared.grouping[column.field] = {
                    "values": int(before.nunique()),
                    "kept_values": int(after[after != OTHER].nunique()),
                    "other_share": float((after == OTHER).mean()) if len(after) else 0.0,
                }
        elif column.keep is KeepMode.AS_IS:
            prepared.kept_as_is.append(column.field)
    removed = prepared.dropped + list(prepared.pseudonymized)
    removed += [prepared.primary_key] if prepared.primary_key else []
    prepared.data = frame.drop(columns=removed)
    return prepared
