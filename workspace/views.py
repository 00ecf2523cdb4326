"""The shell of the pages: the app login (every role), logout, password reset, invitations
and the users page (admins), ``/`` and the job-progress fragment that the start buttons
poll."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts import two_factor
from accounts.exceptions import RateLimited
from accounts.links import invitation_tokens, password_reset_tokens
from accounts.lockout import login_failure_record, login_guard, login_success_record
from accounts.models import User
from accounts.two_factor import otp_enabled, otp_verify
from core import selectors as core_selectors
from core.exceptions import DomainError, NotFound
from core.pages import admin_page, member_page
from core.throttling import client_ip, consume


class LoginView(auth_views.LoginView):
    """Session login for every role. Each POST counts against the same limits as the API's
    token endpoint (group ``login``: per IP + username and per IP), failed or not, and a failed
    one towards the account's lockout (``accounts.lockout``), which a full login clears. The
    form's one error message never says whether the address exists."""

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
        # Per address + username, per address, and the account's lockout (accounts.lockout):
        # the same guard as the token endpoint and the admin login. A locked name is refused
        # whether or not such an account exists, with the rate limit's words.
        wait = login_guard(request, group="login", username=username)
        if wait:
            response = render(
                request,
                self.template_name,
                {"form": self.get_form(), "rate_limited": wait, "next": self.get_redirect_url()},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        """Wrong password, unknown address or inactive account: one failure towards the
        lockout of the name typed."""
        login_failure_record(username=str(form.data.get("username", ""))[:200])
        return super().form_invalid(form)

    def form_valid(self, form):
        """Password right: log in, or, when the user has 2FA on, remember who is half-way
        and ask for the code (``/app/login/code/``) before any session is theirs."""
        user = form.get_user()
        if not otp_enabled(user=user):
            login_success_record(username=user.get_username())
            response = super().form_valid(form)
            if two_factor.otp_enrolment_required(user=user):
                # Signed in, but every page sends to enrolment until 2FA is on (middleware).
                self.request.session[ENROL_FIRST] = True
                return redirect("workspace-two-factor")
            return response
        self.request.session[PENDING_USER] = user.pk
        self.request.session[PENDING_SINCE] = time.time()
        self.request.session[PENDING_NEXT] = self.get_redirect_url()
        return redirect("workspace-login-code")


PENDING_USER, PENDING_SINCE, PENDING_NEXT = "otp_user", "otp_since", "otp_next"
ENROL_FIRST = two_factor.ENROL_FIRST_SESSION_KEY
PENDING_SECONDS = 300


def login_code(request: HttpRequest) -> HttpResponse:
    """The login's second step for a user with 2FA on: a TOTP or recovery code within five
    minutes of the password. Attempts are limited per user (accounts.two_factor)."""
    session = request.session
    user_id, since = session.get(PENDING_USER), session.get(PENDING_SINCE, 0)
    if user_id is None or time.time() - since > PENDING_SECONDS:
        for name in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
            session.pop(name, None)
        return redirect(settings.LOGIN_URL)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return redirect(settings.LOGIN_URL)
    context: dict = {}
    status = 200
    if request.method == "POST":
        try:
            if otp_verify(request=request, user=user, code=request.POST.get("code", "")):
                next_url = session.get(PENDING_NEXT) or settings.LOGIN_REDIRECT_URL
                for name in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
                    session.pop(name, None)
                auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                login_success_record(username=user.get_username())
                return redirect(next_url)
            context["invalid"], status = True, 400
        except RateLimited as exc:
            context["rate_limited"], status = exc.details["retry_after_seconds"], 429
    return render(request, "workspace/login_code.html", context, status=status)


@member_page
def two_factor_page(request: HttpRequest) -> HttpResponse:
    """Your two-factor authentication: set up (QR code of the ``otpauth://`` URI), confirm
    (recovery codes shown once), turn off with password and code."""
    user = request.user
    context: dict = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "start":
                uri = two_factor.otp_enrol_start(user=user)
                context.update(otpauth_uri=uri, qr_svg=two_factor.qr_svg(uri))
            elif action == "confirm":
                context["recovery_codes"] = two_factor.otp_enrol_confirm(
                    request=request, user=user, code=request.POST.get("code", "")
                )
                request.session.pop(ENROL_FIRST, None)
            elif action == "disable":
                two_factor.otp_disable(
                    request=request,
                    user=user,
                    password=request.POST.get("password", ""),
                    code=request.POST.get("code", ""),
                )
        except DomainError as exc:
            context["error"], status = exc.message, exc.status_code
    context["enabled"] = two_factor.otp_enabled(user=user)
    return render(request, "workspace/two_factor.html", context, status=status)


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): the navigation bar's logout button is a small form."""


def _limited(request: HttpRequest, *, group: str, identity: str) -> int:
    """Count one attempt against the login limits (per address and identity, and per address
    across identities); the seconds to wait when refused, 0 to go on."""
    ip = client_ip(request)
    for key, rate in (
        (f"{ip}|{identity.strip().lower()[:200]}", settings.RATE_LIMIT_LOGIN),
        (f"ip:{ip}", settings.RATE_LIMIT_LOGIN_IP),
    ):
        usage = consume(request, group=group, key=key, rate=rate)
        if usage and usage["should_limit"]:
            return max(int(usage["time_left"]), 1)
    return 0


class PasswordResetView(auth_views.PasswordResetView):
    """``/app/password-reset/``: e-mails a reset link when the address belongs to an active
    account with a password, and answers exactly the same way when it does not (the "sent"
    page), so the form never tells whether an address exists. Rate-limited like the login."""

    template_name = "workspace/password_reset.html"
    email_template_name = "workspace/password_reset_email.txt"
    subject_template_name = "workspace/password_reset_subject.txt"
    token_generator = password_reset_tokens
    success_url = reverse_lazy("workspace-password-reset-sent")

    def get_extra_email_context(self):
        return {
            "tenant": self.request.tenant.name,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }

    def post(self, request, *args, **kwargs):
        wait = _limited(request, group="password_reset", identity=request.POST.get("email", ""))
        if wait:
            response = render(
                request,
                self.template_name,
                {"form": self.get_form(), "rate_limited": wait},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "workspace/password_reset_sent.html"


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The page a reset link opens: a new password (Django's validators), then the login."""

    template_name = "workspace/set_password.html"
    token_generator = password_reset_tokens
    success_url = reverse_lazy("workspace-password-reset-complete")
    extra_context = {"purpose": "reset"}

    def form_valid(self, form):
        """A new password ends every session and refresh token opened with the old one."""
        response = super().form_valid(form)
        accounts_services.user_sessions_end(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "workspace/password_reset_complete.html"


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The page an invitation opens: the invited person chooses a password and is signed in.
    The link works once (setting the password changes what it signs) and expires after
    ``INVITATION_TIMEOUT_SECONDS``."""

    template_name = "workspace/set_password.html"
    token_generator = invitation_tokens
    post_reset_login = True
    success_url = reverse_lazy("inventory-dashboard")
    extra_context = {"purpose": "invitation"}


@require_http_methods(["GET", "POST"])
@admin_page
def users_page(request: HttpRequest) -> HttpResponse:
    """Admins: the tenant's users (role, pending invitations, last login) and the invitation
    form (POST sends the e-mail, like ``POST /api/v1/users/invitations/``)."""
    form_errors: dict[str, str] = {}
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        role = request.POST.get("role", "")
        if role not in User.Role.values:
            form_errors["role"] = "Choose a role."
        try:
            validate_email(email)
        except ValidationError:
            form_errors["email"] = "Enter a valid e-mail address."
        if not form_errors:
            try:
                accounts_services.user_invite(
                    email=email,
                    role=role,
                    invited_by=request.user,
                    link_for=lambda uidb64, token: request.build_absolute_uri(
                        reverse("workspace-invitation", kwargs={"uidb64": uidb64, "token": token})
                    ),
                )
            except DomainError as exc:
                form_errors["email"] = exc.message
            else:
                messages.success(request, f"Invitation sent to {email.lower()}.")
                return redirect("workspace-users")
    users = accounts_selectors.user_list(user=request.user).order_by("email")
    return render(
        request,
        "workspace/users.html",
        {
            "users": users,
            "roles": User.Role.choices,
            "form_errors": form_errors,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=400 if form_errors else 200,
    )


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
    return render(request, "pages/_job_progress.html", {"job": job, **job_result_link(job)})


def job_result_link(job) -> dict[str, str]:
    """The bar's label, and where a job's result is read on the pages once it has finished:
    the route plan, the import batch's report (also when the file was rejected)."""
    params = job.params or {}
    if job.kind == "route_plan" and "plan_id" in params:
        return {
            "label": "Route plan",
            "link": reverse("route-plan-page", args=[params["plan_id"]]),
            "link_label": "Open the plan",
        }
    if job.kind == "import" and "batch_id" in params:
        return {
            "label": "Import",
            "link": reverse("import-batch-page", args=[params["batch_id"]]),
            "link_label": "Open the import's report",
        }
    return {}
