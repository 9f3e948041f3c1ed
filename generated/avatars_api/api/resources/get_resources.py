from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.resource_set_detail import ResourceSetDetail
from ...types import Response


def _get_kwargs(
    set_name: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/resources/{set_name}".format(
            set_name=quote(str(set_name), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | HTTPValidationError | ResourceSetDetail | None:
    if response.status_code == 200:
        response_200 = ResourceSetDetail.from_dict(response.json())

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
) -> Response[ErrorResponse | HTTPValidationError | ResourceSetDetail]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    set_name: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorResponse | HTTPValidationError | ResourceSetDetail]:
    """Get Resources

    Args:
        set_name (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | ResourceSetDetail]
    """

    kwargs = _get_kwargs(
        set_name=set_name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    set_name: UUID,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | HTTPValidationError | ResourceSetDetail | None:
    """Get Resources

    Args:
        set_name (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | ResourceSetDetail
    """

    return sync_detailed(
        set_name=set_name,
        client=client,
    ).parsed


async def asyncio_detailed(
    set_name: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorResponse | HTTPValidationError | ResourceSetDetail]:
    """Get Resources

    Args:
        set_name (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | ResourceSetDetail]
    """

    kwargs = _get_kwargs(
        set_name=set_name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    set_name: UUID,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | HTTPValidationError | ResourceSetDetail | None:
    """Get Resources

    Args:
        set_name (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | ResourceSetDetail
    """

    return (
        await asyncio_detailed(
            set_name=set_name,
            client=client,
        )
    ).parsed
