"""Enrolment first: an administrator who signed in while the tenant requires 2FA of
administrators, and has none yet, sees only the enrolment page (ADR 31)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.two_factor import ENROL_FIRST_SESSION_KEY, ENROL_PAGE

# What stays reachable while enrolment is pending: the page itself, logging out, static files.
_OPEN = (ENROL_PAGE, "/app/logout/", "/app/login/", "/static/")


class TwoFactorEnrolmentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(ENROL_FIRST_SESSION_KEY)
            and request.path.startswith(("/app/", "/admin/"))
            and not request.path.startswith(_OPEN)
        ):
            return redirect(ENROL_PAGE)
        return self.get_response(request)
