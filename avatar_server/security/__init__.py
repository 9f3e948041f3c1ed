"""Passwords, tokens, API keys and the secret files that back them.

Primitives only: ``services`` builds on them, and nothing here imports ``services`` (the sign-in
rate limiter, which needs a table and a service error, is ``services.rate_limit``).
"""
