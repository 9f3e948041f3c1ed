"""Tests against real back-end services (PostgreSQL, S3, Dask) the tests start themselves:
``make test-integration``."""
