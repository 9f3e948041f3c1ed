"""Results of finished jobs: the list of files, and each file streamed."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from avatar_server.api.bounded_route import BoundedRoute
from avatar_server.api.deps import CurrentUser, DbDep, RuntimeDep
from avatar_server.api.errors import AUTHENTICATED, error_responses
from avatar_server.api.schemas import ResultFileOut, ResultsOut
from avatar_server.services import jobs

router = APIRouter(
    prefix="/results", tags=["results"], responses=AUTHENTICATED, route_class=BoundedRoute
)

_MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# The 200 body is the file in its own media type: text/csv, application/json, text/html or
# application/pdf. Ranges document them because the client generator parses a 200 as the first
# media type in sorted order that it knows: application/json would come before
# application/octet-stream and make it read every file as JSON, where it must hand back bytes.
_FILE_CONTENT = {
    "application/octet-stream": _BINARY,
    "application/*": {"schema": {}},  # a JSON file is a JSON document of any shape
    "text/*": _BINARY,
}


def _attachment(name: str) -> str:
    """A Content-Disposition header for any file name: HTTP headers are Latin-1, and table
    names (in result file names) may hold any character, so the name is also given in UTF-8
    (RFC 6266), with an ASCII fallback."""
    plain = (c.isascii() and c.isprintable() and c not in '"\\' for c in name)
    fallback = "".join(c if keep else "_" for c, keep in zip(name, plain, strict=True))
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/{job_name}", responses=error_responses(404))
def get_results(job_name: str, user: CurrentUser, db: DbDep) -> ResultsOut:
    """The job's status and the files it produced, by kind and table: an empty list until
    the job is done (a listing is a look, not a wait: it never answers 409)."""
    job, files = jobs.listed_results(db, user, job_name)
    return ResultsOut(
        job_name=job.name,
        status=job.status,
        error=job.error or "",
        files=[ResultFileOut.model_validate(entry) for entry in files],
    )


@router.get(
    "/{job_name}/files/{file_name}",
    response_class=StreamingResponse,
    responses={
        200: {"content": _FILE_CONTENT},
        **error_responses(404, 409),
    },
)
def download_result(
    job_name: str, file_name: str, user: CurrentUser, db: DbDep, runtime: RuntimeDep
) -> StreamingResponse:
    """One result file, streamed in its own media type (CSV, JSON, HTML or PDF)."""
    entry, chunks = jobs.open_result(db, runtime.storage, user, job_name, file_name)
    return StreamingResponse(
        chunks,
        media_type=_MEDIA_TYPES.get(entry["format"], "application/octet-stream"),
        headers={
            "Content-Length": str(entry["size"]),
            "Content-Disposition": _attachment(str(entry["name"])),
        },
    )
