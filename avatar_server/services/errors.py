"""Domain errors. The API layer maps each class to one HTTP status, once (see ``api.errors``)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: ``str(error)`` is safe to show to the caller."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInputError(ServiceError):
    status_code = 400


class NotAuthenticatedError(ServiceError):
    status_code = 401


class ForbiddenError(ServiceError):
    status_code = 403


class NotFoundError(ServiceError):
    status_code = 404


class ConflictError(ServiceError):
    status_code = 409


class TooLargeError(ServiceError):
    status_code = 413


class UnprocessableError(ServiceError):
    """Well-formed but unusable: a configuration naming unknown tables, columns, bad ranges."""

    status_code = 422
