"""Errors that stop the server from starting, each saying plainly what is wrong and what to do."""


class StartupError(RuntimeError):
    """A setting the server cannot start with, said plainly."""
