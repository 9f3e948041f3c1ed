from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.resource_set_out import ResourceSetOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    display_name: None | str | Unset = UNSET,
    limit: int | Unset = 100,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_display_name: None | str | Unset
    if isinstance(display_name, Unset):
        json_display_name = UNSET
    else:
        json_display_name = display_name
    params["display_name"] = json_display_name

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/resources",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | HTTPValidationError | list[ResourceSetOut] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = ResourceSetOut.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | HTTPValidationError | list[ResourceSetOut]]:
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
    limit: int | Unset = 100,
) -> Response[ErrorResponse | HTTPValidationError | list[ResourceSetOut]]:
    """List Resources

     Your sets, newest first.

    Args:
        display_name (None | str | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | list[ResourceSetOut]]
    """

    kwargs = _get_kwargs(
        display_name=display_name,
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
    limit: int | Unset = 100,
) -> ErrorResponse | HTTPValidationError | list[ResourceSetOut] | None:
    """List Resources

     Your sets, newest first.

    Args:
        display_name (None | str | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | list[ResourceSetOut]
    """

    return sync_detailed(
        client=client,
        display_name=display_name,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    display_name: None | str | Unset = UNSET,
    limit: int | Unset = 100,
) -> Response[ErrorResponse | HTTPValidationError | list[ResourceSetOut]]:
    """List Resources

     Your sets, newest first.

    Args:
        display_name (None | str | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | list[ResourceSetOut]]
    """

    kwargs = _get_kwargs(
        display_name=display_name,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    display_name: None | str | Unset = UNSET,
    limit: int | Unset = 100,
) -> ErrorResponse | HTTPValidationError | list[ResourceSetOut] | None:
    """List Resources

     Your sets, newest first.

    Args:
        display_name (None | str | Unset):
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | list[ResourceSetOut]
    """

    return (
        await asyncio_detailed(
            client=client,
            display_name=display_name,
            limit=limit,
        )
    ).parsed
