"""Per-request (or per-task) context: the request id and the acting user.

Context variables work for threads and for asyncio alike; the middleware sets them at the start
of a request and resets them at the end, and Celery tasks bind them from the message headers.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_actor: ContextVar[Any] = ContextVar("actor", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def current_actor() -> Any:
    """The authenticated user doing the current write, or None (system, anonymous).

    The middleware stores the request itself: DRF authenticates inside the view and then sets
    ``request.user``, so the user is read at the moment of the write, not at the start.
    """
    value = _actor.get()
    if value is None:
        return None
    user = getattr(value, "user", value) if hasattr(value, "META") else value
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def current_actor_schema() -> str | None:
    """The schema the current actor belongs to: the tenant of the request that authenticated
    them. A platform staff member provisioning a tenant writes into that tenant's schema,
    where their user id means someone else (or no one)."""
    value = _actor.get()
    tenant = getattr(value, "tenant", None) if hasattr(value, "META") else None
    return getattr(tenant, "schema_name", None)


def set_actor(user_or_request: Any):
    return _actor.set(user_or_request)


def reset_actor(token) -> None:
    _actor.reset(token)
