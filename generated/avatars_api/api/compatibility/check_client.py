from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.compatibility_response import CompatibilityResponse
from ...models.http_validation_error import HTTPValidationError
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    user_agent: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(user_agent, Unset):
        headers["user-agent"] = user_agent

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/check_client",
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CompatibilityResponse | HTTPValidationError | None:
    if response.status_code == 200:
        response_200 = CompatibilityResponse.from_dict(response.json())

        return response_200

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CompatibilityResponse | HTTPValidationError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    user_agent: None | str | Unset = UNSET,
) -> Response[CompatibilityResponse | HTTPValidationError]:
    """Check Client

     Whether the calling client (``avatars-python/X.Y.Z`` in User-Agent) works with this
    server. No authentication: a client checks before signing in.

    Args:
        user_agent (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CompatibilityResponse | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        user_agent=user_agent,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    user_agent: None | str | Unset = UNSET,
) -> CompatibilityResponse | HTTPValidationError | None:
    """Check Client

     Whether the calling client (``avatars-python/X.Y.Z`` in User-Agent) works with this
    server. No authentication: a client checks before signing in.

    Args:
        user_agent (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CompatibilityResponse | HTTPValidationError
    """

    return sync_detailed(
        client=client,
        user_agent=user_agent,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    user_agent: None | str | Unset = UNSET,
) -> Response[CompatibilityResponse | HTTPValidationError]:
    """Check Client

     Whether the calling client (``avatars-python/X.Y.Z`` in User-Agent) works with this
    server. No authentication: a client checks before signing in.

    Args:
        user_agent (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CompatibilityResponse | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        user_agent=user_agent,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    user_agent: None | str | Unset = UNSET,
) -> CompatibilityResponse | HTTPValidationError | None:
    """Check Client

     Whether the calling client (``avatars-python/X.Y.Z`` in User-Agent) works with this
    server. No authentication: a client checks before signing in.

    Args:
        user_agent (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CompatibilityResponse | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            client=client,
            user_agent=user_agent,
        )
    ).parsed
