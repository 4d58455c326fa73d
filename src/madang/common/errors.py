"""Domain errors raised by services and translated into messages and status codes by adapters."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is already translated for the user."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class InvalidInput(DomainError):
    status_code = 400


class Busy(DomainError):
    """A lock could not be taken in time; the same request may succeed when retried."""

    status_code = 503
