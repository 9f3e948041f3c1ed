from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...types import File, Response


def _get_kwargs(
    job_name: str,
    file_name: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/results/{job_name}/files/{file_name}".format(
            job_name=quote(str(job_name), safe=""),
            file_name=quote(str(file_name), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | File | HTTPValidationError | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorResponse.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | File | HTTPValidationError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_name: str,
    file_name: str,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorResponse | File | HTTPValidationError]:
    """Download Result

     One result file, streamed in its own media type (CSV, JSON, HTML, PDF or DOCX).

    Args:
        job_name (str):
        file_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | File | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        job_name=job_name,
        file_name=file_name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_name: str,
    file_name: str,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | File | HTTPValidationError | None:
    """Download Result

     One result file, streamed in its own media type (CSV, JSON, HTML, PDF or DOCX).

    Args:
        job_name (str):
        file_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | File | HTTPValidationError
    """

    return sync_detailed(
        job_name=job_name,
        file_name=file_name,
        client=client,
    ).parsed


async def asyncio_detailed(
    job_name: str,
    file_name: str,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorResponse | File | HTTPValidationError]:
    """Download Result

     One result file, streamed in its own media type (CSV, JSON, HTML, PDF or DOCX).

    Args:
        job_name (str):
        file_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | File | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        job_name=job_name,
        file_name=file_name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_name: str,
    file_name: str,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | File | HTTPValidationError | None:
    """Download Result

     One result file, streamed in its own media type (CSV, JSON, HTML, PDF or DOCX).

    Args:
        job_name (str):
        file_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | File | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            job_name=job_name,
            file_name=file_name,
            client=client,
        )
    ).parsed
