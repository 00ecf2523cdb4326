"""Throttled admin login, for the platform admin and every tenant's back office."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from accounts.lockout import login_failure_record, login_guard, login_success_record
from core.errors import json_error
from core.metrics import RATE_LIMITED


class OtpAdminAuthenticationForm(AdminAuthenticationForm):
    """The back office's login with the second factor for users who turned it on (ADR 31)."""

    otp = forms.CharField(
        label="Two-factor code (if on)",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        from accounts.exceptions import RateLimited
        from accounts.two_factor import ENROL_PAGE, otp_enabled, otp_enrolment_required, otp_verify

        if not otp_enabled(user=user):
            if otp_enrolment_required(user=user):
                raise ValidationError(
                    "This tenant requires two-factor authentication of administrators: "
                    f"turn it on at {ENROL_PAGE} first.",
                    code="otp_enrolment_required",
                )
            return
        code = self.data.get("otp", "")
        try:
            valid = bool(code) and otp_verify(request=self.request, user=user, code=code)
        except RateLimited:
            valid = False
        if not valid:
            raise ValidationError(
                "This account uses two-factor authentication: enter a valid code.",
                code="otp_invalid",
            )


def throttled_login(site):
    """Wrap ``site.login``: each POST counts per IP + username and per IP; a failed one
    counts towards the account's lockout (``accounts.lockout``), a successful one clears it."""

    site.login_form = OtpAdminAuthenticationForm
    site.login_template = "accounts/admin_login.html"

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
