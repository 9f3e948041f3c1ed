"""The avatars server.

The packages, from the top down: each imports only those below it (``tests/test_layout.py``).

- ``processes``: the entry path (``python -m avatar_server``, ``avatars serve``) and every process
  the server runs: supervisor, HTTP processes, job workers.
- ``api``: the HTTP API: FastAPI app, routes, schemas, the mapping of errors to statuses.
- ``runtime``: what a running server shares between requests: database engine, storage, mailer,
  signing secret.
- ``services``: the business logic the routes call, one module per domain.
- ``jobs``: the job table's state machine and the job kinds, which call ``engine`` and ``report``.
- ``security``: passwords, tokens, API keys and secret files.
- ``db``, ``storage``, ``settings``: the database schema, object storage, configuration.
- ``engine``: the anonymization and its metrics, pure functions on DataFrames; ``report``: the
  run report (HTML and PDF) from a run's results.

``spec`` (``python -m avatar_server.spec``) exports the API contract, ``openapi.json``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("open-avatars")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
