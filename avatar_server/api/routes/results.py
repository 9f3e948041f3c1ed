"""Results of finished jobs: the list of files, and each file streamed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from avatar_server.api.deps import CurrentUser, DbDep, RuntimeDep
from avatar_server.api.errors import AUTHENTICATED, error_responses
from avatar_server.api.schemas import ResultFileOut, ResultsOut
from avatar_server.services import jobs

router = APIRouter(prefix="/results", tags=["results"], responses=AUTHENTICATED)

_MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get("/{job_name}", responses=error_responses(404, 409))
def get_results(job_name: str, user: CurrentUser, db: DbDep) -> ResultsOut:
    """The files a done job produced, by kind and table (409 while it is not done)."""
    job, files = jobs.result_files(db, user, job_name)
    return ResultsOut(
        job_name=job.name, files=[ResultFileOut.model_validate(entry) for entry in files]
    )


@router.get(
    "/{job_name}/files/{file_name}",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": _BINARY}},
        **error_responses(404, 409),
    },
)
def download_result(
    job_name: str, file_name: str, user: CurrentUser, db: DbDep, runtime: RuntimeDep
) -> StreamingResponse:
    """One result file, streamed."""
    entry, chunks = jobs.open_result(db, runtime.storage, user, job_name, file_name)
    return StreamingResponse(
        chunks,
        media_type=_MEDIA_TYPES.get(entry["format"], "application/octet-stream"),
        headers={
            "Content-Length": str(entry["size"]),
            "Content-Disposition": f'attachment; filename="{entry["name"]}"',
        },
    )
