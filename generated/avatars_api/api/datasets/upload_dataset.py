from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.dataset_out import DatasetOut
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    body: File,
    name: str | Unset = "dataset",
    sep: None | str | Unset = UNSET,
    encoding: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["name"] = name

    json_sep: None | str | Unset
    if isinstance(sep, Unset):
        json_sep = UNSET
    else:
        json_sep = sep
    params["sep"] = json_sep

    json_encoding: None | str | Unset
    if isinstance(encoding, Unset):
        json_encoding = UNSET
    else:
        json_encoding = encoding
    params["encoding"] = json_encoding

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/datasets",
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError | None:
    if response.status_code == 201:
        response_201 = DatasetOut.from_dict(response.json())

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
) -> Response[DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str | Unset = "dataset",
    sep: None | str | Unset = UNSET,
    encoding: None | str | Unset = UNSET,
) -> Response[DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError]:
    """Upload Dataset

     Upload a table as the raw request body; it is streamed to storage, never held whole.

    The dataset becomes visible only once fully received and validated. How a CSV was read
    (given or detected) is in the answer's ``csv_dialect``.

    Args:
        name (str | Unset):  Default: 'dataset'.
        sep (None | str | Unset): A CSV's separator, one character (a tab is %09, or '\\t');
            detected among , ; tab | when not given. Given, it also allows a one-column file whose
            header holds ';', a tab or '|', which is otherwise refused.
        encoding (None | str | Unset): A CSV's text encoding, any Python knows ('utf-8', 'utf-16',
            'cp1252', 'latin-1'...); detected when not given: UTF-8 (a byte order mark also says
            UTF-16 or UTF-32), else Windows-1252, else Latin-1.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        body=body,
        name=name,
        sep=sep,
        encoding=encoding,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str | Unset = "dataset",
    sep: None | str | Unset = UNSET,
    encoding: None | str | Unset = UNSET,
) -> DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError | None:
    """Upload Dataset

     Upload a table as the raw request body; it is streamed to storage, never held whole.

    The dataset becomes visible only once fully received and validated. How a CSV was read
    (given or detected) is in the answer's ``csv_dialect``.

    Args:
        name (str | Unset):  Default: 'dataset'.
        sep (None | str | Unset): A CSV's separator, one character (a tab is %09, or '\\t');
            detected among , ; tab | when not given. Given, it also allows a one-column file whose
            header holds ';', a tab or '|', which is otherwise refused.
        encoding (None | str | Unset): A CSV's text encoding, any Python knows ('utf-8', 'utf-16',
            'cp1252', 'latin-1'...); detected when not given: UTF-8 (a byte order mark also says
            UTF-16 or UTF-32), else Windows-1252, else Latin-1.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError
    """

    return sync_detailed(
        client=client,
        body=body,
        name=name,
        sep=sep,
        encoding=encoding,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str | Unset = "dataset",
    sep: None | str | Unset = UNSET,
    encoding: None | str | Unset = UNSET,
) -> Response[DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError]:
    """Upload Dataset

     Upload a table as the raw request body; it is streamed to storage, never held whole.

    The dataset becomes visible only once fully received and validated. How a CSV was read
    (given or detected) is in the answer's ``csv_dialect``.

    Args:
        name (str | Unset):  Default: 'dataset'.
        sep (None | str | Unset): A CSV's separator, one character (a tab is %09, or '\\t');
            detected among , ; tab | when not given. Given, it also allows a one-column file whose
            header holds ';', a tab or '|', which is otherwise refused.
        encoding (None | str | Unset): A CSV's text encoding, any Python knows ('utf-8', 'utf-16',
            'cp1252', 'latin-1'...); detected when not given: UTF-8 (a byte order mark also says
            UTF-16 or UTF-32), else Windows-1252, else Latin-1.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        body=body,
        name=name,
        sep=sep,
        encoding=encoding,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str | Unset = "dataset",
    sep: None | str | Unset = UNSET,
    encoding: None | str | Unset = UNSET,
) -> DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError | None:
    """Upload Dataset

     Upload a table as the raw request body; it is streamed to storage, never held whole.

    The dataset becomes visible only once fully received and validated. How a CSV was read
    (given or detected) is in the answer's ``csv_dialect``.

    Args:
        name (str | Unset):  Default: 'dataset'.
        sep (None | str | Unset): A CSV's separator, one character (a tab is %09, or '\\t');
            detected among , ; tab | when not given. Given, it also allows a one-column file whose
            header holds ';', a tab or '|', which is otherwise refused.
        encoding (None | str | Unset): A CSV's text encoding, any Python knows ('utf-8', 'utf-16',
            'cp1252', 'latin-1'...); detected when not given: UTF-8 (a byte order mark also says
            UTF-16 or UTF-32), else Windows-1252, else Latin-1.
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DatasetOut | ErrorResponse | ErrorResponse | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            name=name,
            sep=sep,
            encoding=encoding,
        )
    ).parsed
