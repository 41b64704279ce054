"""Domain errors: each says what went wrong, with a stable code the API returns as-is."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 409

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status is not None and not isinstance(status, int):
            raise TypeError(f"status is the HTTP status (an int), not {status!r}: name the detail otherwise")
        if status:
            self.status = status
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    status = 404


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422


class Conflict(DomainError):
    code = "conflict"
    status = 409


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status = 409
