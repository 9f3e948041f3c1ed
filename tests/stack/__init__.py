"""Throwaway services for the integration suite, started by the project's own code on loopback."""
