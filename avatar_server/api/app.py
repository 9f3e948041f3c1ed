"""The HTTP API as one FastAPI object: its routes, error mapping, CORS and contract metadata.

Nothing here starts anything (database, storage, job workers): what a process does when it
starts and stops depends on its role, which ``avatar_server.processes.app`` adds. So the
contract (``avatar_server.spec``) is exported from this object alone, and the API does not
import the process management that serves it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from avatar_server import __version__
from avatar_server.api.docs import install_docs
from avatar_server.api.errors import install_error_handlers
from avatar_server.api.routes import api_router
from avatar_server.api.security_headers import SecurityHeadersMiddleware
from avatar_server.runtime import Runtime

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _operation_id(route: APIRoute) -> str:
    """Short operation ids (``get_dataset``), so generated modules read naturally."""
    return route.name


def create_api(runtime: Runtime, lifespan: Lifespan | None = None) -> FastAPI:
    """The API over ``runtime`` (kept on ``app.state`` for the routes' dependencies, see
    ``api.deps``); ``lifespan`` is the serving process's start and stop."""
    app = FastAPI(
        title="avatars",
        version=__version__,
        description="Anonymize tabular personal data into avatars, with privacy and utility "
        "metrics. All operations live under /api.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    if runtime.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=runtime.settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(api_router)
    install_docs(app)
    return app
