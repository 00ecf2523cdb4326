"""Domain errors. Services raise these; ``core.errors`` maps them to the error envelope."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions as drf_exceptions


class DomainError(Exception):
    status_code = 400
    code = "invalid"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status_code = 400
    code = "validation_error"
    default_message = "Invalid input."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Forbidden(DomainError):
    status_code = 403
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The upload is too large."


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"
    default_message = "The upload's content type is not supported."


class ServiceUnavailable(DomainError):
    """A backing service (the task broker) cannot be reached: 503, nothing half-started."""

    status_code = 503
    code = "service_unavailable"
    default_message = "A backing service is unavailable. Try again shortly."
    retry_after = 30


class JobFailed(DomainError):
    """Raised by a job's ``run`` to end the job ``failed`` with a ``result`` that still
    links what it produced (e.g. the rejected import batch and its report)."""

    def __init__(self, message: str, *, result: dict[str, Any] | None = None):
        self.result = result or {}
        super().__init__(message)


class ImportRowsRejected(ValidationFailed):
    """Raised by an import writer that finds rows it cannot write (e.g. a BOM cycle): the
    import rolls back and reports ``errors`` (dicts of row, column, value, why) per row."""

    def __init__(self, errors: list[dict[str, Any]], message: str | None = None):
        self.errors = errors
        super().__init__(message or "Rows rejected by the writer.", details={"errors": errors})


class _CodedMixin:
    """A DRF refusal whose envelope carries its own code (``api_key_scope_missing``) instead of
    the class's generic one (``permission_denied``)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)  # type: ignore[call-arg]
        self.envelope_code = code


class CredentialRefused(_CodedMixin, drf_exceptions.AuthenticationFailed):
    """401: the credential is not accepted for this call (signature, network, second factor)."""


class AccessRefused(_CodedMixin, drf_exceptions.PermissionDenied):
    """403: the credential is valid but may not do this (an API key's scopes)."""
