"""Doors of the server-rendered pages (``/app/…``): who may open a page and who may act on it.

Every page of every app wears one of these instead of ``login_required`` alone: a page needs a
signed-in member of the active tenant (any role reads); a POST that starts or changes work
needs a planner (viewers get 403). The login page is ``settings.LOGIN_URL`` (``/app/login/``).
They live in ``core`` (the bottom layer) so every app's pages can use them (ADR 19)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse

from core.permissions import ADMIN, PLANNER, VIEWER

View = Callable[..., HttpResponse]


def _door(role: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if connection.schema_name == "public" or not user.has_role(role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


member_page = _door(VIEWER)
"""Any role of the tenant may open the page."""

planner_action = _door(PLANNER)
"""Planners and admins only (viewers read): for the POSTs that start or change work."""


admin_page = _door(ADMIN)
"""Tenant admins only: the users and settings pages."""


def heavy_work(kind: str, label: str) -> Callable[[View], View]:
    """A start button of heavy work (``kind`` of ``RATE_LIMIT_HEAVY_WORK``): the same per-tenant
    budget as the API's ``HeavyWorkThrottle`` (one shared counter, ADR 31). Over budget the
    button answers 429 with ``Retry-After`` and one sentence, and nothing starts. Put it under
    ``planner_action`` so a viewer's refused POST does not spend the tenant's budget."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from core.throttling import heavy_work_wait

            wait = heavy_work_wait(request, kind)
            if wait is not None:
                response = HttpResponse(
                    f'<p class="muted" role="alert">Too many {label} were started in this '
                    f"workspace recently; nothing was started. Try again in {wait} s.</p>",
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def can_act(user: Any) -> bool:
    """Whether the page shows buttons that start or change work."""
    return bool(user.is_authenticated and user.has_role(PLANNER))
