"""Throttled admin login, for the platform admin and every tenant's back office."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.errors import json_error
from core.throttling import client_ip, consume


def throttled_login(site):
    """Wrap ``site.login``: failed or not, each POST counts per IP + username."""

    def login(request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "POST":
            username = str(request.POST.get("username", ""))[:200].lower()
            usage = consume(
                request,
                group="admin-login",
                key=f"{client_ip(request)}|{username}",
                rate=settings.RATE_LIMIT_LOGIN,
            )
            if usage and usage["should_limit"]:
                response = json_error(429, "rate_limited", "Too many login attempts.")
                response["Retry-After"] = str(max(int(usage["time_left"]), 1))
                return response
        return site.login(request, extra_context)

    return login
