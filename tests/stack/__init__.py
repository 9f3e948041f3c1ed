"""Services the integration suite starts for real on loopback: PostgreSQL, SeaweedFS, Dask."""
