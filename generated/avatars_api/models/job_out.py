from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus

T = TypeVar("T", bound="JobOut")


@_attrs_define
class JobOut:
    """
    Attributes:
        attempts (int):
        created_at (datetime.datetime):
        depends_on (list[str]):
        display_name (str):
        done (bool): True once the job is done, failed or cancelled.
        error (str): Why the job failed or was cancelled; empty otherwise.
        finished_at (datetime.datetime | None):
        kind (str): What the job does: one of advice, standard, privacy_metrics, signal_metrics, report. A string, not
            an enum: kinds are added as the product grows, and a client should show an unknown one as it is.
        name (str):
        parameters_name (str):
        progress (float): 0 to 1.
        set_name (UUID):
        stage (str):
        started_at (datetime.datetime | None):
        status (JobStatus): A job's life: pending → running → one of the three finished statuses.
    """

    attempts: int
    created_at: datetime.datetime
    depends_on: list[str]
    display_name: str
    done: bool
    error: str
    finished_at: datetime.datetime | None
    kind: str
    name: str
    parameters_name: str
    progress: float
    set_name: UUID
    stage: str
    started_at: datetime.datetime | None
    status: JobStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        created_at = self.created_at.isoformat()

        depends_on = self.depends_on

        display_name = self.display_name

        done = self.done

        error = self.error

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        kind = self.kind

        name = self.name

        parameters_name = self.parameters_name

        progress = self.progress

        set_name = str(self.set_name)

        stage = self.stage

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "created_at": created_at,
                "depends_on": depends_on,
                "display_name": display_name,
                "done": done,
                "error": error,
                "finished_at": finished_at,
                "kind": kind,
                "name": name,
                "parameters_name": parameters_name,
                "progress": progress,
                "set_name": set_name,
                "stage": stage,
                "started_at": started_at,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        depends_on = cast(list[str], d.pop("depends_on"))

        display_name = d.pop("display_name")

        done = d.pop("done")

        error = d.pop("error")

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        kind = d.pop("kind")

        name = d.pop("name")

        parameters_name = d.pop("parameters_name")

        progress = d.pop("progress")

        set_name = UUID(d.pop("set_name"))

        stage = d.pop("stage")

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

        status = JobStatus(d.pop("status"))

        job_out = cls(
            attempts=attempts,
            created_at=created_at,
            depends_on=depends_on,
            display_name=display_name,
            done=done,
            error=error,
            finished_at=finished_at,
            kind=kind,
            name=name,
            parameters_name=parameters_name,
            progress=progress,
            set_name=set_name,
            stage=stage,
            started_at=started_at,
            status=status,
        )

        job_out.additional_properties = d
        return job_out

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
