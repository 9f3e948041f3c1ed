from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.forgotten_password_request import ForgottenPasswordRequest
from ...models.http_validation_error import HTTPValidationError
from ...models.message_response import MessageResponse
from ...types import Response


def _get_kwargs(
    *,
    body: ForgottenPasswordRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/login/forgotten_password",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | HTTPValidationError | MessageResponse | None:
    if response.status_code == 200:
        response_200 = MessageResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 413:
        response_413 = ErrorResponse.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | HTTPValidationError | MessageResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ForgottenPasswordRequest,
) -> Response[ErrorResponse | HTTPValidationError | MessageResponse]:
    """Forgotten Password

     Mail a reset token to the address if an account uses it; the answer never says.

    The request is queued and the mail sent in the background, so the answer takes the same
    time for every address. Requests are limited per address and per client over a sliding
    window (``AVATAR_PASSWORD_RESET_*``); beyond it the answer is 429 with ``Retry-After``.

    Args:
        body (ForgottenPasswordRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | MessageResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ForgottenPasswordRequest,
) -> ErrorResponse | HTTPValidationError | MessageResponse | None:
    """Forgotten Password

     Mail a reset token to the address if an account uses it; the answer never says.

    The request is queued and the mail sent in the background, so the answer takes the same
    time for every address. Requests are limited per address and per client over a sliding
    window (``AVATAR_PASSWORD_RESET_*``); beyond it the answer is 429 with ``Retry-After``.

    Args:
        body (ForgottenPasswordRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | MessageResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ForgottenPasswordRequest,
) -> Response[ErrorResponse | HTTPValidationError | MessageResponse]:
    """Forgotten Password

     Mail a reset token to the address if an account uses it; the answer never says.

    The request is queued and the mail sent in the background, so the answer takes the same
    time for every address. Requests are limited per address and per client over a sliding
    window (``AVATAR_PASSWORD_RESET_*``); beyond it the answer is 429 with ``Retry-After``.

    Args:
        body (ForgottenPasswordRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | MessageResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ForgottenPasswordRequest,
) -> ErrorResponse | HTTPValidationError | MessageResponse | None:
    """Forgotten Password

     Mail a reset token to the address if an account uses it; the answer never says.

    The request is queued and the mail sent in the background, so the answer takes the same
    time for every address. Requests are limited per address and per client over a sliding
    window (``AVATAR_PASSWORD_RESET_*``); beyond it the answer is 429 with ``Retry-After``.

    Args:
        body (ForgottenPasswordRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | MessageResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
