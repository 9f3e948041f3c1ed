"""The server's processes: what starts each, what each runs, and how they stop together.

The entry path, in order:

1. ``avatars serve`` (``avatars.cli``) and ``python -m avatar_server`` (``avatar_server.__main__``)
   call ``serve.serve``, with the settings read from ``AVATAR_*`` variables.
2. With one HTTP process (``AVATAR_API_PROCESSES=1``, the default), uvicorn serves
   ``app.create_app(dedicated=True)`` in this process, which is also the *owner*: as the app
   starts, it prepares database, storage and secret (``app.start_runtime``) and starts the job
   workers (``worker_pool.WorkerPool``).
   With more, ``supervisor.Supervisor`` is the owner and serves nothing itself: it binds the
   port and keeps that many ``http_process`` children accepting on it, each serving
   ``app.create_app(owner=False)``.
3. The worker pool keeps ``AVATAR_WORKERS`` ``job_worker`` children, which claim jobs from the
   database and run them one at a time (``avatar_server.jobs.execution``), and re-queues the jobs
   of workers that died.
4. ``app.create_app`` is the HTTP API (``avatar_server.api.app``) plus the process's role. The
   embedded server (``avatars.local``: a ``Manager()`` without a URL) serves the same app, owner
   but not dedicated, from a thread of the user's program.

``children`` is what every child process shares with the server: its settings, passed as
environment variables, and dying with it however it dies.

This is the top layer: it imports the rest of ``avatar_server``, and only ``__main__`` imports it
(``tests/test_layout.py`` checks that the packages import one another without a cycle).
"""
