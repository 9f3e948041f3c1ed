"""Throwaway back-end services (PostgreSQL, S3, Dask) started by the tests themselves, on
loopback ports, and cleaned up even when a test or the start-up fails."""
