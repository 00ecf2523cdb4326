"""The shell of the pages: the app login (every role), logout, ``/`` and the job-progress
fragment that the start buttons poll."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from core import selectors as core_selectors
from core.exceptions import NotFound
from core.pages import member_page
from core.throttling import client_ip, consume


class LoginView(auth_views.LoginView):
    """Session login for every role. Each POST counts against the same limit as the API's
    token endpoint (group ``login``, per IP + username), failed or not; the form's one error
    message never says whether the address exists."""

    template_name = "workspace/login.html"
    redirect_authenticated_user = True

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "data" in kwargs:  # user names are the lower-cased e-mail (accounts.services)
            data = kwargs["data"].copy()
            data["username"] = str(data.get("username", "")).strip().lower()
            kwargs["data"] = data
        return kwargs

    def post(self, request, *args, **kwargs):
        username = str(request.POST.get("username", "")).strip().lower()[:200]
        usage = consume(
            request,
            group="login",
            key=f"{client_ip(request)}|{username}",
            rate=settings.RATE_LIMIT_LOGIN,
        )
        if usage and usage["should_limit"]:
            wait = max(int(usage["time_left"]), 1)
            response = render(
                request,
                self.template_name,
                {"form": self.get_form(), "rate_limited": wait, "next": self.get_redirect_url()},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): the navigation bar's logout button is a small form."""


def home(request: HttpRequest) -> HttpResponse:
    """``/`` on a tenant host: the dashboard when signed in, the login page otherwise."""
    if request.user.is_authenticated:
        return redirect("inventory-dashboard")
    return redirect(settings.LOGIN_URL)


@require_GET
@member_page
def job_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    """The progress bar of one job as an HTML fragment. While the job is queued or running the
    fragment asks htmx to fetch it again in a second; a finished one stops polling."""
    try:
        job = core_selectors.access_job(user=request.user, job_id=job_id)
    except NotFound:
        raise Http404("No such job.") from None
    return render(request, "pages/_job_progress.html", {"job": job})
