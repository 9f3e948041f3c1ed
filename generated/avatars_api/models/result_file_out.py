from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ResultFileOut")


@_attrs_define
class ResultFileOut:
    """
    Attributes:
        file_format (str):
        kind (str): What the file holds: one of shuffled, unshuffled, original_projections, avatar_projections,
            projection_sample, run_metadata, privacy_metrics, signal_metrics, variable_comparisons, correlations, advice,
            report, privacy_verdict, privacy_attacks, privacy_metrics_summary, signal_metrics_summary, relations,
            raw_series, normalized_series, manifest_part, release_manifest. A string, not an enum, for the same reason as a
            job's kind.
        name (str):
        sha256 (str):
        size (int):
        table (None | str):
    """

    file_format: str
    kind: str
    name: str
    sha256: str
    size: int
    table: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        file_format = self.file_format

        kind = self.kind

        name = self.name

        sha256 = self.sha256

        size = self.size

        table: None | str
        table = self.table

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "file_format": file_format,
                "kind": kind,
                "name": name,
                "sha256": sha256,
                "size": size,
                "table": table,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file_format = d.pop("file_format")

        kind = d.pop("kind")

        name = d.pop("name")

        sha256 = d.pop("sha256")

        size = d.pop("size")

        def _parse_table(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        table = _parse_table(d.pop("table"))

        result_file_out = cls(
            file_format=file_format,
            kind=kind,
            name=name,
            sha256=sha256,
            size=size,
            table=table,
        )

        result_file_out.additional_properties = d
        return result_file_out

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
