from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_out import JobOut


T = TypeVar("T", bound="BulkDeleteResponse")


@_attrs_define
class BulkDeleteResponse:
    """
    Attributes:
        deleted_jobs (list[JobOut]):
        failed_jobs (list[str]): Names that matched no job of yours.
    """

    deleted_jobs: list[JobOut]
    failed_jobs: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        deleted_jobs = []
        for deleted_jobs_item_data in self.deleted_jobs:
            deleted_jobs_item = deleted_jobs_item_data.to_dict()
            deleted_jobs.append(deleted_jobs_item)

        failed_jobs = self.failed_jobs

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "deleted_jobs": deleted_jobs,
                "failed_jobs": failed_jobs,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_out import JobOut  # noqa: PLC0415

        d = dict(src_dict)
        deleted_jobs = []
        _deleted_jobs = d.pop("deleted_jobs")
        for deleted_jobs_item_data in _deleted_jobs:
            deleted_jobs_item = JobOut.from_dict(deleted_jobs_item_data)

            deleted_jobs.append(deleted_jobs_item)

        failed_jobs = cast(list[str], d.pop("failed_jobs"))

        bulk_delete_response = cls(
            deleted_jobs=deleted_jobs,
            failed_jobs=failed_jobs,
        )

        bulk_delete_response.additional_properties = d
        return bulk_delete_response

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
