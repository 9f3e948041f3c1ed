from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ColumnSchema")


@_attrs_define
class ColumnSchema:
    """
    Attributes:
        distinct (int): Number of distinct non-missing values.
        dtype (str): bool, int64, float64, datetime64, string, or empty.
        missing (int): Number of missing values.
        name (str):
        role (str): What the column is, as detected at upload: one of id_like, direct_identifier, free_text, date,
            constant, quasi_identifier. id_like, direct_identifier, free_text columns identify people by themselves. A
            string, not an enum: roles may be added as detection grows, and a client should show an unknown one as it is.
            Datasets uploaded before roles were detected read as quasi_identifier, with a reason saying so. Default:
            'quasi_identifier'.
        role_reason (str): Why the column got its role, in words (never quoting a value). Default: 'not detected: the
            dataset was uploaded before column roles existed (upload it again to detect them)'.
    """

    distinct: int
    dtype: str
    missing: int
    name: str
    role: str = "quasi_identifier"
    role_reason: str = (
        "not detected: the dataset was uploaded before column roles existed (upload it again to detect them)"
    )
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        distinct = self.distinct

        dtype = self.dtype

        missing = self.missing

        name = self.name

        role = self.role

        role_reason = self.role_reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "distinct": distinct,
                "dtype": dtype,
                "missing": missing,
                "name": name,
                "role": role,
                "role_reason": role_reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        distinct = d.pop("distinct")

        dtype = d.pop("dtype")

        missing = d.pop("missing")

        name = d.pop("name")

        role = d.pop("role")

        role_reason = d.pop("role_reason")

        column_schema = cls(
            distinct=distinct,
            dtype=dtype,
            missing=missing,
            name=name,
            role=role,
            role_reason=role_reason,
        )

        column_schema.additional_properties = d
        return column_schema

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
