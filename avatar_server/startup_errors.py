"""The one error a server start-up reports as a plain message.

A setting or a service the server needs is unusable: the database cannot be reached, the
storage bucket is missing, a driver is not installed. The user needs to know what is wrong and
what to do, not where in the code it was noticed, so ``avatars serve`` prints the message
alone, without a traceback, and exits.
"""

from __future__ import annotations


class StartupError(RuntimeError):
    """The server cannot start; the message says what is wrong and what to do about it."""
