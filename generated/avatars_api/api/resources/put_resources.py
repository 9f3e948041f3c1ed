from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.resource_set_create import ResourceSetCreate
from ...models.resource_set_out import ResourceSetOut
from ...types import Response


def _get_kwargs(
    display_name: str,
    *,
    body: ResourceSetCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/resources/{display_name}".format(
            display_name=quote(str(display_name), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut | None:
    if response.status_code == 201:
        response_201 = ResourceSetOut.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 413:
        response_413 = ErrorResponse.from_dict(response.json())

        return response_413

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
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    display_name: str,
    *,
    client: AuthenticatedClient,
    body: ResourceSetCreate,
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut]:
    """Put Resources

     Store a run's documents as a new set; each call makes a new ``set_name``.

    The documents are checked against your datasets first (tables, columns, parameters). The
    body is bounded (413 over ``AVATAR_MAX_RUN_YAML_BYTES``), and so are the YAML's documents
    and nodes (422 over ``AVATAR_MAX_RUN_YAML_DOCUMENTS`` or ``AVATAR_MAX_RUN_YAML_NODES``).

    Args:
        display_name (str):
        body (ResourceSetCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut]
    """

    kwargs = _get_kwargs(
        display_name=display_name,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    display_name: str,
    *,
    client: AuthenticatedClient,
    body: ResourceSetCreate,
) -> ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut | None:
    """Put Resources

     Store a run's documents as a new set; each call makes a new ``set_name``.

    The documents are checked against your datasets first (tables, columns, parameters). The
    body is bounded (413 over ``AVATAR_MAX_RUN_YAML_BYTES``), and so are the YAML's documents
    and nodes (422 over ``AVATAR_MAX_RUN_YAML_DOCUMENTS`` or ``AVATAR_MAX_RUN_YAML_NODES``).

    Args:
        display_name (str):
        body (ResourceSetCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut
    """

    return sync_detailed(
        display_name=display_name,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    display_name: str,
    *,
    client: AuthenticatedClient,
    body: ResourceSetCreate,
) -> Response[ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut]:
    """Put Resources

     Store a run's documents as a new set; each call makes a new ``set_name``.

    The documents are checked against your datasets first (tables, columns, parameters). The
    body is bounded (413 over ``AVATAR_MAX_RUN_YAML_BYTES``), and so are the YAML's documents
    and nodes (422 over ``AVATAR_MAX_RUN_YAML_DOCUMENTS`` or ``AVATAR_MAX_RUN_YAML_NODES``).

    Args:
        display_name (str):
        body (ResourceSetCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut]
    """

    kwargs = _get_kwargs(
        display_name=display_name,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    display_name: str,
    *,
    client: AuthenticatedClient,
    body: ResourceSetCreate,
) -> ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut | None:
    """Put Resources

     Store a run's documents as a new set; each call makes a new ``set_name``.

    The documents are checked against your datasets first (tables, columns, parameters). The
    body is bounded (413 over ``AVATAR_MAX_RUN_YAML_BYTES``), and so are the YAML's documents
    and nodes (422 over ``AVATAR_MAX_RUN_YAML_DOCUMENTS`` or ``AVATAR_MAX_RUN_YAML_NODES``).

    Args:
        display_name (str):
        body (ResourceSetCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | HTTPValidationError | ResourceSetOut
    """

    return (
        await asyncio_detailed(
            display_name=display_name,
            client=client,
            body=body,
        )
    ).parsed
