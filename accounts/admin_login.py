"""Throttled admin login, for the platform admin and every tenant's back office."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from accounts.lockout import login_failure_record, login_guard, login_success_record
from core.errors import json_error
from core.metrics import RATE_LIMITED


def throttled_login(site):
    """Wrap ``site.login``: each POST counts per IP + username and per IP; a failed one
    counts towards the account's lockout (``accounts.lockout``), a successful one clears it."""

    def login(request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method != "POST":
            return site.login(request, extra_context)
        username = str(request.POST.get("username", ""))[:200].lower()
        wait = login_guard(request, group="admin-login", username=username)
        if wait:
            RATE_LIMITED.labels(scope="admin_login").inc()
            response = json_error(429, "rate_limited", "Too many login attempts.")
            response["Retry-After"] = str(wait)
            return response
        response = site.login(request, extra_context)
        if response.status_code == 302:  # logged in and redirected
            login_success_record(username=username)
        else:
            login_failure_record(username=username)
        return response

    return login
