from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.results_out import ResultsOut
from ...types import Response


def _get_kwargs(
    job_name: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/results/{job_name}".format(
            job_name=quote(str(job_name), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | HTTPValidationError | ResultsOut | None:
    if response.status_code == 200:
        response_200 = ResultsOut.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | HTTPValidationError | ResultsOut]:
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
) -> Response[ErrorResponse | HTTPValidationError | ResultsOut]:
    """Get Results

     The job's status and the files it produced, by kind and table: an empty list until
    the job is done (a listing is a look, not a wait: it never answers 409).

    Args:
        job_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | ResultsOut]
    """

    kwargs = _get_kwargs(
        job_name=job_name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_name: str,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | HTTPValidationError | ResultsOut | None:
    """Get Results

     The job's status and the files it produced, by kind and table: an empty list until
    the job is done (a listing is a look, not a wait: it never answers 409).

    Args:
        job_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | ResultsOut
    """

    return sync_detailed(
        job_name=job_name,
        client=client,
    ).parsed


async def asyncio_detailed(
    job_name: str,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorResponse | HTTPValidationError | ResultsOut]:
    """Get Results

     The job's status and the files it produced, by kind and table: an empty list until
    the job is done (a listing is a look, not a wait: it never answers 409).

    Args:
        job_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | ResultsOut]
    """

    kwargs = _get_kwargs(
        job_name=job_name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_name: str,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | HTTPValidationError | ResultsOut | None:
    """Get Results

     The job's status and the files it produced, by kind and table: an empty list until
    the job is done (a listing is a look, not a wait: it never answers 409).

    Args:
        job_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | ResultsOut
    """

    return (
        await asyncio_detailed(
            job_name=job_name,
            client=client,
        )
    ).parsed
