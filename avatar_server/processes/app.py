"""The app a process serves: the API (``avatar_server.api.app``) plus what this process does when
it starts and stops, which depends on its role.

The API itself knows no roles; they are process management, like the worker pool the owner
runs, so they live here, next to the processes that take them.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from avatar_server.api.app import create_api
from avatar_server.processes.executor import Executor, check_executor_settings, make_executor
from avatar_server.processes.mail_sender import MailSender
from avatar_server.runtime import Runtime
from avatar_server.services.users import ensure_first_admin
from avatar_server.settings import Settings


def create_app(
    settings: Settings | None = None, *, owner: bool = True, dedicated: bool = False
) -> FastAPI:
    """Build the app. Nothing touches disk or database until the app starts (lifespan).

    The ``owner`` process prepares database, storage and secret when it starts and runs the
    job workers and the mail sender; the HTTP processes of a multi-process server
    (``processes.supervisor``) are not owners: their supervisor did that once for all of them.

    A ``dedicated`` process does nothing but serve (``avatars serve``), unlike a user's program
    embedding the server: once started, it moves every object made so far out of the garbage
    collector's scans (``gc.freeze``). Full collections then scan only what requests made:
    under the load bench, their pauses went from 130-310 ms to 10-40 ms.
    """
    runtime = Runtime(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pool: Executor | None = None
        mail: MailSender | None = None
        if owner:
            await run_in_threadpool(start_runtime, runtime)
            pool = make_executor(runtime.settings, runtime.sessions)
            await run_in_threadpool(pool.start)
            mail = MailSender(runtime)
            mail.start()
        if dedicated:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if mail is not None:
                await run_in_threadpool(mail.stop)
            if pool is not None:
                await run_in_threadpool(pool.stop)
            runtime.stop()

    return create_api(runtime, lifespan)


def start_runtime(runtime: Runtime) -> None:
    """Folders, schema, storage, secret and the first administrator, before any request."""
    check_executor_settings(runtime.settings)
    runtime.start()
    with runtime.sessions() as db:
        ensure_first_admin(db, runtime.settings)
