from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.job_out import JobOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    job_name: str,
    *,
    wait: float | Unset = 0.0,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["wait"] = wait

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/jobs/{job_name}".format(
            job_name=quote(str(job_name), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | ErrorResponse | HTTPValidationError | JobOut | None:
    if response.status_code == 200:
        response_200 = JobOut.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

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
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_name: str,
    *,
    client: AuthenticatedClient,
    wait: float | Unset = 0.0,
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobOut]:
    """Get Job

     The job's status, progress, stage and error.

    Args:
        job_name (str):
        wait (float | Unset): Seconds to wait for a change (status, stage or progress) before
            answering; 0 answers at once. Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobOut]
    """

    kwargs = _get_kwargs(
        job_name=job_name,
        wait=wait,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_name: str,
    *,
    client: AuthenticatedClient,
    wait: float | Unset = 0.0,
) -> ErrorResponse | ErrorResponse | HTTPValidationError | JobOut | None:
    """Get Job

     The job's status, progress, stage and error.

    Args:
        job_name (str):
        wait (float | Unset): Seconds to wait for a change (status, stage or progress) before
            answering; 0 answers at once. Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | HTTPValidationError | JobOut
    """

    return sync_detailed(
        job_name=job_name,
        client=client,
        wait=wait,
    ).parsed


async def asyncio_detailed(
    job_name: str,
    *,
    client: AuthenticatedClient,
    wait: float | Unset = 0.0,
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobOut]:
    """Get Job

     The job's status, progress, stage and error.

    Args:
        job_name (str):
        wait (float | Unset): Seconds to wait for a change (status, stage or progress) before
            answering; 0 answers at once. Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | HTTPValidationError | JobOut]
    """

    kwargs = _get_kwargs(
        job_name=job_name,
        wait=wait,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_name: str,
    *,
    client: AuthenticatedClient,
    wait: float | Unset = 0.0,
) -> ErrorResponse | ErrorResponse | HTTPValidationError | JobOut | None:
    """Get Job

     The job's status, progress, stage and error.

    Args:
        job_name (str):
        wait (float | Unset): Seconds to wait for a change (status, stage or progress) before
            answering; 0 answers at once. Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | HTTPValidationError | JobOut
    """

    return (
        await asyncio_detailed(
            job_name=job_name,
            client=client,
            wait=wait,
        )
    ).parsed
