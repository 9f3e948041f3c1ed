from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CsvDialectOut")


@_attrs_define
class CsvDialectOut:
    """How a CSV file is read: what the upload detected, or was told with ``sep`` and
    ``encoding``. Every job reads the file the same way.

        Attributes:
            decimal (str): The decimal mark of the numbers: '.', or ',' when a file not separated by commas writes its
                numbers with commas (72,5) and none with points. Default: '.'.
            delimiter (str): The character between fields: ',', ';', a tab, '|'...
            encoding (str): Python's name of the text encoding: 'utf-8', 'utf-8-sig' (UTF-8 with a byte order mark),
                'utf-16' or 'utf-32' (with one), 'utf-16-le' or 'utf-16-be' (without), 'cp1252' (Windows Western European: the
                file was not UTF-8), 'iso8859-1' (Latin-1: not even Windows-1252), or the encoding given.
            quotechar (str): The character quoting a field: '"' or "'".
    """

    delimiter: str
    encoding: str
    quotechar: str
    decimal: str = "."
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        decimal = self.decimal

        delimiter = self.delimiter

        encoding = self.encoding

        quotechar = self.quotechar

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "decimal": decimal,
                "delimiter": delimiter,
                "encoding": encoding,
                "quotechar": quotechar,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        decimal = d.pop("decimal")

        delimiter = d.pop("delimiter")

        encoding = d.pop("encoding")

        quotechar = d.pop("quotechar")

        csv_dialect_out = cls(
            decimal=decimal,
            delimiter=delimiter,
            encoding=encoding,
            quotechar=quotechar,
        )

        csv_dialect_out.additional_properties = d
        return csv_dialect_out

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
