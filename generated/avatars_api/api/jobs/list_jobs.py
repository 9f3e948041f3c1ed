from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.job_list import JobList
from ...models.job_status import JobStatus
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    display_name: None | str | Unset = UNSET,
    set_name: None | Unset | UUID = UNSET,
    kind: None | str | Unset = UNSET,
    status: JobStatus | None | Unset = UNSET,
    names: list[str] | None | Unset = UNSET,
    limit: int | Unset = 100,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_display_name: None | str | Unset
    if isinstance(display_name, Unset):
        json_display_name = UNSET
    else:
        json_display_name = display_name
    params["display_name"] = json_display_name

    json_set_name: None | str | Unset
    if isinstance(set_name, Unset):
        json_set_name = UNSET
    elif isinstance(set_name, UUID):
        json_set_name = str(set_name)
    else:
        json_set_name = set_name
    params["set_name"] = json_set_name

    json_kind: None | str | Unset
    if isinstance(kind, Unset):
        json_kind = UNSET
    else:
        json_kind = kind
    params["kind"] = json_kind

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, JobStatus):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_names: list[str] | None | Unset
    if isinstance(names, Unset):
        json_names = UNSET
    elif isinstance(names, list):
        json_names = names

    else:
        json_names = names
    params["names"] = json_names

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/jobs",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | ErrorResponse | HTTPValidationError | JobList | None:
    if response.status_code == 200:
        response_200 = JobList.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 422:

        def _parse_response_422(data: object) -> ErrorResponse | HTTPValidationError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_422_type_0 = HTTPValidationError.from_dict(data)

                return response_422_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_422_type_1 = ErrorResponse.from_dict(data)

            return response_422_type_1

        response_422 = _parse_response_422(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    display_name: None | str | Unset = UNSET,
    set_name: None | Unset | UUID = UNSET,
    kind: None | str | Unset = UNSET,
    status: JobStatus | None | Unset = UNSET,
    names: list[str] | None | Unset = UNSET,
    limit: int | Unset = 100,
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobList]:
    """List Jobs

     Your jobs, newest first; filters combine.

    Args:
        display_name (None | str | Unset):
        set_name (None | Unset | UUID):
        kind (None | str | Unset): What the job does: one of advice, standard, privacy_metrics,
            signal_metrics, report. A string, not an enum: kinds are added as the product grows, and a
            client should show an unknown one as it is.
        status (JobStatus | None | Unset):
        names (list[str] | None | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobList]
    """

    kwargs = _get_kwargs(
        display_name=display_name,
        set_name=set_name,
        kind=kind,
        status=status,
        names=names,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    display_name: None | str | Unset = UNSET,
    set_name: None | Unset | UUID = UNSET,
    kind: None | str | Unset = UNSET,
    status: JobStatus | None | Unset = UNSET,
    names: list[str] | None | Unset = UNSET,
    limit: int | Unset = 100,
) -> ErrorResponse | ErrorResponse | HTTPValidationError | JobList | None:
    """List Jobs

     Your jobs, newest first; filters combine.

    Args:
        display_name (None | str | Unset):
        set_name (None | Unset | UUID):
        kind (None | str | Unset): What the job does: one of advice, standard, privacy_metrics,
            signal_metrics, report. A string, not an enum: kinds are added as the product grows, and a
            client should show an unknown one as it is.
        status (JobStatus | None | Unset):
        names (list[str] | None | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | HTTPValidationError | JobList
    """

    return sync_detailed(
        client=client,
        display_name=display_name,
        set_name=set_name,
        kind=kind,
        status=status,
        names=names,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    display_name: None | str | Unset = UNSET,
    set_name: None | Unset | UUID = UNSET,
    kind: None | str | Unset = UNSET,
    status: JobStatus | None | Unset = UNSET,
    names: list[str] | None | Unset = UNSET,
    limit: int | Unset = 100,
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobList]:
    """List Jobs

     Your jobs, newest first; filters combine.

    Args:
        display_name (None | str | Unset):
        set_name (None | Unset | UUID):
        kind (None | str | Unset): What the job does: one of advice, standard, privacy_metrics,
            signal_metrics, report. A string, not an enum: kinds are added as the product grows, and a
            client should show an unknown one as it is.
        status (JobStatus | None | Unset):
        names (list[str] | None | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobList]
    """

    kwargs = _get_kwargs(
        display_name=display_name,
        set_name=set_name,
        kind=kind,
        status=status,
        names=names,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    display_name: None | str | Unset = UNSET,
    set_name: None | Unset | UUID = UNSET,
    kind: None | str | Unset = UNSET,
    status: JobStatus | None | Unset = UNSET,
    names: list[str] | None | Unset = UNSET,
    limit: int | Unset = 100,
) -> ErrorResponse | ErrorResponse | HTTPValidationError | JobList | None:
    """List Jobs

     Your jobs, newest first; filters combine.

    Args:
        display_name (None | str | Unset):
        set_name (None | Unset | UUID):
        kind (None | str | Unset): What the job does: one of advice, standard, privacy_metrics,
            signal_metrics, report. A string, not an enum: kinds are added as the product grows, and a
            client should show an unknown one as it is.
        status (JobStatus | None | Unset):
        names (list[str] | None | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | HTTPValidationError | JobList
    """

    return (
        await asyncio_detailed(
            client=client,
            display_name=display_name,
            set_name=set_name,
            kind=kind,
            status=status,
            names=names,
            limit=limit,
        )
    ).parsed
