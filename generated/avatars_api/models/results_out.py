from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus

if TYPE_CHECKING:
    from ..models.result_file_out import ResultFileOut


T = TypeVar("T", bound="ResultsOut")


@_attrs_define
class ResultsOut:
    """
    Attributes:
        error (str): Why the job failed or was cancelled; empty otherwise.
        files (list[ResultFileOut]): The files of a done job; empty while it is pending or running, or if it failed or
            was cancelled.
        job_name (str):
        status (JobStatus): A job's life: pending → running → one of the three finished statuses.
    """

    error: str
    files: list[ResultFileOut]
    job_name: str
    status: JobStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error = self.error

        files = []
        for files_item_data in self.files:
            files_item = files_item_data.to_dict()
            files.append(files_item)

        job_name = self.job_name

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error": error,
                "files": files,
                "job_name": job_name,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.result_file_out import ResultFileOut  # noqa: PLC0415

        d = dict(src_dict)
        error = d.pop("error")

        files = []
        _files = d.pop("files")
        for files_item_data in _files:
            files_item = ResultFileOut.from_dict(files_item_data)

            files.append(files_item)

        job_name = d.pop("job_name")

        status = JobStatus(d.pop("status"))

        results_out = cls(
            error=error,
            files=files,
            job_name=job_name,
            status=status,
        )

        results_out.additional_properties = d
        return results_out

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
