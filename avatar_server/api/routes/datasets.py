"""Datasets: streamed upload and download of CSV or Parquet tables."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.deps import CurrentUser, DbDep, RuntimeDep
from avatar_server.api.errors import AUTHENTICATED, error_responses
from avatar_server.api.schemas import DatasetOut
from avatar_server.db.models import DatasetFormat
from avatar_server.services import datasets
from avatar_server.services.errors import TooLargeError

logger = logging.getLogger("avatar_server")

router = APIRouter(
    prefix="/datasets", tags=["datasets"], responses=AUTHENTICATED, route_class=BoundedRoute
)

_WRITE_BYTES = 1024 * 1024
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_MEDIA_TYPES = {DatasetFormat.CSV: "text/csv", DatasetFormat.PARQUET: "application/octet-stream"}

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The table, as CSV with a header row or as Parquet (detected). A CSV's "
        "encoding, separator and quote character are detected unless given (sep, encoding).",
        "content": {"application/octet-stream": _BINARY},
    }
}


@router.post(
    "",
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
    responses=error_responses(400, 413, 422),
)
async def upload_dataset(
    request: Request,
    user: CurrentUser,
    db: DbDep,
    runtime: RuntimeDep,
    name: Annotated[str, Query(min_length=1, max_length=255)] = "dataset",
    sep: Annotated[
        str | None,
        Query(
            max_length=8,
            description="A CSV's separator, one character (a tab is %09, or '\\t'); detected "
            "among , ; tab | when not given. Given, it also allows a one-column file whose "
            "header holds ';', a tab or '|', which is otherwise refused.",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        Query(
            max_length=64,
            description="A CSV's text encoding, any Python knows ('utf-8', 'utf-16', "
            "'cp1252', 'latin-1'...); detected when not given: UTF-8 (a byte order mark "
            "also says UTF-16 or UTF-32), else Windows-1252, else Latin-1.",
        ),
    ] = None,
) -> DatasetOut:
    """Upload a table as the raw request body; it is streamed to storage, never held whole.

    The dataset becomes visible only once fully received and validated. How a CSV was read
    (given or detected) is in the answer's ``csv_dialect``.
    """
    sep, encoding = datasets.csv_options(sep, encoding)  # refused before the body is read
    limit = runtime.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"the upload is larger than {limit} bytes, the limit")
    sink = await run_in_threadpool(datasets.UploadSink, runtime.storage, user.id, limit)
    received = 0
    try:
        buffer = bytearray()
        async for chunk in request.stream():
            received += len(chunk)
            buffer += chunk
            if len(buffer) >= _WRITE_BYTES:
                await run_in_threadpool(sink.write, bytes(buffer))
                buffer.clear()
        await run_in_threadpool(sink.write, bytes(buffer))
        await run_in_threadpool(sink.close)
    except TooLargeError:
        raise
    except ClientDisconnect:
        # An ordinary event (a closed laptop, a killed script), not a server error: one line.
        await run_in_threadpool(sink.abort)
        logger.info(
            "upload of dataset %r by user %s cut off by the client after %d bytes; nothing kept",
            name,
            user.id,
            received,
        )
        raise HTTPException(400, "the upload was cut off") from None  # nobody hears it
    except BaseException:
        await run_in_threadpool(sink.abort)
        raise
    dataset = await run_in_threadpool(
        datasets.register_upload,
        db,
        runtime.storage,
        runtime.settings,
        user,
        sink,
        name,
        sep=sep,
        encoding=encoding,
    )
    return DatasetOut.model_validate(dataset)


@router.get("")
def list_datasets(user: CurrentUser, db: DbDep) -> list[DatasetOut]:
    return [DatasetOut.model_validate(d) for d in datasets.list_datasets(db, user)]


@router.get("/{dataset_id}", responses=error_responses(404))
def get_dataset(dataset_id: uuid.UUID, user: CurrentUser, db: DbDep) -> DatasetOut:
    """The dataset's metadata and discovered schema."""
    return DatasetOut.model_validate(datasets.get_dataset(db, user, dataset_id))


@router.get(
    "/{dataset_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": _BINARY, "text/csv": _BINARY}},
        **error_responses(404),
    },
)
def download_dataset(
    dataset_id: uuid.UUID, user: CurrentUser, db: DbDep, runtime: RuntimeDep
) -> StreamingResponse:
    """The file exactly as uploaded, streamed (``text/csv`` or, for Parquet,
    ``application/octet-stream``)."""
    dataset = datasets.get_dataset(db, user, dataset_id)
    chunks = datasets.iter_dataset_bytes(runtime.storage, dataset)
    extension = dataset.format.value
    return StreamingResponse(
        chunks,
        media_type=_MEDIA_TYPES[dataset.format],
        headers={
            "Content-Length": str(dataset.size_bytes),
            "Content-Disposition": f'attachment; filename="{dataset.id}.{extension}"',
        },
    )


@router.delete("/{dataset_id}", status_code=204, responses=error_responses(404))
def delete_dataset(
    dataset_id: uuid.UUID, user: CurrentUser, db: DbDep, runtime: RuntimeDep
) -> Response:
    """Delete the dataset and erase its stored file."""
    datasets.delete_dataset(db, runtime.storage, user, dataset_id)
    return Response(status_code=204)
