"""One error shape for the whole API::

    {"error": {"code": "...", "message": "...", "details": {...}}}

DRF exceptions, domain errors (``core.exceptions``) and Django's own 400/403/404/500 handlers
all end here, so a client never sees an HTML error page from the API.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from core.exceptions import DomainError
from core.logging import get_logger

log = get_logger("errors")

_DRF_CODES = {
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "rate_limited",
    drf_exceptions.ValidationError: "validation_error",
}


def envelope(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _drf_message(exc: drf_exceptions.APIException) -> tuple[str, dict[str, Any]]:
    detail = exc.detail
    if isinstance(exc, drf_exceptions.ValidationError):
        details = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        return "Invalid input.", details
    if isinstance(detail, dict):
        return "Request failed.", detail
    if isinstance(detail, list):
        return "; ".join(str(item) for item in detail), {}
    return str(detail), {}


def _count_refusal(code: str) -> None:
    from core import metrics

    if code == "rate_limited":
        metrics.RATE_LIMITED.labels(scope="login").inc()


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        _count_refusal(exc.code)
        retry_after = getattr(exc, "retry_after", None)
        return Response(
            envelope(exc.code, exc.message, exc.details),
            status=exc.status_code,
            headers={"Retry-After": str(retry_after)} if retry_after else None,
        )
    if isinstance(exc, DjangoValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = drf_exceptions.ValidationError(details)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(_still_used(exc), status=409)
    if isinstance(exc, DataError):
        # A value PostgreSQL cannot hold (a NUL character, a time zone offset or a number out
        # of its range) that no validator caught first: invalid input, nothing was written.
        log.warning("data_error", error=str(exc).splitlines()[0][:200])
        return Response(
            envelope("validation_error", "A value is not valid or out of range.", {}),
            status=400,
        )
    if isinstance(exc, IntegrityError):
        # A uniqueness or reference rule the validation could not see in advance (two requests
        # at once): the database refused the write, nothing was written.
        log.warning("integrity_error", error=str(exc).splitlines()[0][:200])
        return Response(
            envelope("conflict", "This conflicts with existing data; nothing was written."),
            status=409,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(envelope("payload_too_large", "The request body is too large."), status=413)
    if isinstance(exc, drf_exceptions.Throttled):
        from core import metrics

        metrics.RATE_LIMITED.labels(scope="user").inc()
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_default_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "envelope_code", None) or next(
        (value for klass, value in _DRF_CODES.items() if isinstance(exc, klass)),
        getattr(exc, "default_code", "error"),
    )
    message, details = _drf_message(exc)  # type: ignore[arg-type]
    if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
        details = {"retry_after_seconds": int(exc.wait)}
        message = "Too many requests. Try again later."
    response.data = envelope(code, message, details)
    return response


def _still_used(exc: ProtectedError | RestrictedError) -> dict[str, Any]:
    """A delete refused by a ``PROTECT``/``RESTRICT`` foreign key: 409 with what still uses the
    object, counted per kind (``{"used_by": {"inventory.stocklevel": 3, …}}``)."""
    used_by: dict[str, int] = {}
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    for related in objects:
        label = related._meta.label_lower
        used_by[label] = used_by.get(label, 0) + 1
    names = ", ".join(f"{count} {label.split('.')[-1]}" for label, count in sorted(used_by.items()))
    return envelope(
        "conflict",
        f"Still used by {names}; remove or reassign those first.",
        {"used_by": used_by},
    )


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(envelope(code, message), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(400, "bad_request", "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(403, "permission_denied", "Permission denied.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    return json_error(500, "server_error", "Internal server error.")
