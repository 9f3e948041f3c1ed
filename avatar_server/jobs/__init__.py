"""Jobs: the state machine on the job table, the worker processes that run jobs, and the job
kinds (advice, standard, privacy_metrics, signal_metrics, report) that call the engine."""
