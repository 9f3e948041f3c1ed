from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.dataset_out_file_format import DatasetOutFileFormat

if TYPE_CHECKING:
    from ..models.column_schema import ColumnSchema
    from ..models.csv_dialect_out import CsvDialectOut


T = TypeVar("T", bound="DatasetOut")


@_attrs_define
class DatasetOut:
    """
    Attributes:
        column_count (int):
        columns (list[ColumnSchema]):
        created_at (datetime.datetime):
        csv_dialect (CsvDialectOut | None): How the CSV file is read; null for Parquet.
        file_format (DatasetOutFileFormat):
        id (UUID):
        name (str):
        rows (int):
        sha256 (str):
        size_bytes (int):
    """

    column_count: int
    columns: list[ColumnSchema]
    created_at: datetime.datetime
    csv_dialect: CsvDialectOut | None
    file_format: DatasetOutFileFormat
    id: UUID
    name: str
    rows: int
    sha256: str
    size_bytes: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.csv_dialect_out import CsvDialectOut  # noqa: PLC0415

        column_count = self.column_count

        columns = []
        for columns_item_data in self.columns:
            columns_item = columns_item_data.to_dict()
            columns.append(columns_item)

        created_at = self.created_at.isoformat()

        csv_dialect: dict[str, Any] | None
        if isinstance(self.csv_dialect, CsvDialectOut):
            csv_dialect = self.csv_dialect.to_dict()
        else:
            csv_dialect = self.csv_dialect

        file_format = self.file_format.value

        id = str(self.id)

        name = self.name

        rows = self.rows

        sha256 = self.sha256

        size_bytes = self.size_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "column_count": column_count,
                "columns": columns,
                "created_at": created_at,
                "csv_dialect": csv_dialect,
                "file_format": file_format,
                "id": id,
                "name": name,
                "rows": rows,
                "sha256": sha256,
                "size_bytes": size_bytes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.column_schema import ColumnSchema  # noqa: PLC0415
        from ..models.csv_dialect_out import CsvDialectOut  # noqa: PLC0415

        d = dict(src_dict)
        column_count = d.pop("column_count")

        columns = []
        _columns = d.pop("columns")
        for columns_item_data in _columns:
            columns_item = ColumnSchema.from_dict(columns_item_data)

            columns.append(columns_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_csv_dialect(data: object) -> CsvDialectOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                csv_dialect_type_0 = CsvDialectOut.from_dict(data)

                return csv_dialect_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CsvDialectOut | None, data)

        csv_dialect = _parse_csv_dialect(d.pop("csv_dialect"))

        file_format = DatasetOutFileFormat(d.pop("file_format"))

        id = UUID(d.pop("id"))

        name = d.pop("name")

        rows = d.pop("rows")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        dataset_out = cls(
            column_count=column_count,
            columns=columns,
            created_at=created_at,
            csv_dialect=csv_dialect,
            file_format=file_format,
            id=id,
            name=name,
            rows=rows,
            sha256=sha256,
            size_bytes=size_bytes,
        )

        dataset_out.additional_properties = d
        return dataset_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
