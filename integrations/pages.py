"""The notifications page and the bell's unread count (polled by htmx every 15 s from
templates/pages/base.html)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.pages import member_page
from integrations import notifications, selectors


@member_page
def notification_list(request):
    notes = list(selectors.notification_list(user=request.user)[:100])
    return render(
        request,
        "integrations/notifications.html",
        {"notifications": notes, "unread": sum(1 for n in notes if n.read_at is None)},
    )


@member_page
def bell(request):
    """The bell with the unread count: a fragment that swaps itself and keeps polling."""
    count = selectors.notification_unread_count(user=request.user)
    return render(request, "integrations/_bell.html", {"unread": count})


@member_page
@require_POST
def read_all(request):
    notifications.notifications_mark_all_read(user=request.user)
    return redirect("notifications-page")
