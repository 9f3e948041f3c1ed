"""Jobs: the state machine on the job table, running one claimed job (``execution``), and the
job kinds (advice, standard, privacy_metrics, signal_metrics, report) that call the engine.

The processes that run jobs (the worker pool and each job worker) belong to
``avatar_server.processes``: this package starts no process, so ``processes`` may import it and
not the other way round."""
