"""Per-request (or per-task) context: the request id, the acting user, the API key and the
client's address.

Context variables work for threads and for asyncio alike; the middleware sets them at the start
of a request and resets them at the end. Celery tasks carry them in their message headers
(``config.celery``) and job tasks bind the user who started the job (``core.jobs``), so a write
made by a worker is recorded under the person who asked for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_actor: ContextVar[Any] = ContextVar("actor", default=None)
_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


class DeferredActor:
    """The user of a task or job, known by id: loaded from the active schema the first time
    a write asks for it (a task learns its schema after its context is bound)."""

    def __init__(self, user_id: int | None, schema: str | None = None, api_key: str = "") -> None:
        self.user_id = user_id
        self.schema = schema
        self.api_key = api_key
        self._loaded = False
        self._user: Any = None

    @property
    def user(self) -> Any:
        if not self._loaded and self.user_id is not None:
            from django.contrib.auth import get_user_model

            self._user = get_user_model().objects.filter(pk=self.user_id).first()
            self._loaded = True
        return self._user


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def current_ip() -> str | None:
    return _ip.get()


def set_ip(value: str | None):
    return _ip.set(value)


def reset_ip(token) -> None:
    _ip.reset(token)


def current_actor() -> Any:
    """The authenticated user doing the current write, or None (system, anonymous).

    The middleware stores the request itself: DRF authenticates inside the view and then sets
    ``request.user``, so the user is read at the moment of the write, not at the start.
    """
    value = _actor.get()
    if value is None:
        return None
    if isinstance(value, DeferredActor):
        return value.user
    user = getattr(value, "user", value) if hasattr(value, "META") else value
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def current_actor_id() -> int | None:
    """The acting user's id without loading a deferred user (for task headers)."""
    value = _actor.get()
    if isinstance(value, DeferredActor):
        return value.user_id
    user = current_actor()
    return getattr(user, "pk", None)


def current_api_key() -> str:
    """The prefix of the API key that authenticated the current request, or ``""``."""
    value = _actor.get()
    if isinstance(value, DeferredActor):
        return value.api_key
    auth = getattr(value, "auth", None) if hasattr(value, "META") else None
    if getattr(auth, "is_api_key", False):
        return str(getattr(auth, "prefix", ""))
    return ""


def current_actor_schema() -> str | None:
    """The schema the current actor belongs to: the tenant of the request that authenticated
    them. A platform staff member provisioning a tenant writes into that tenant's schema,
    where their user id means someone else (or no one)."""
    value = _actor.get()
    if isinstance(value, DeferredActor):
        return value.schema
    tenant = getattr(value, "tenant", None) if hasattr(value, "META") else None
    return getattr(tenant, "schema_name", None)


def set_actor(user_or_request: Any):
    return _actor.set(user_or_request)


def reset_actor(token) -> None:
    _actor.reset(token)


KEEP: Any = object()  # ``bound(actor=KEEP)``: leave the current actor as it is


@contextmanager
def bound(
    *,
    actor: Any = None,
    request_id: str | None = None,
    ip: str | None = None,
) -> Iterator[None]:
    """Run a block (a task, a job, a command) as ``actor`` (a user, a ``DeferredActor`` or
    None for the system) with the request id and address of the request that caused it."""
    tokens = (
        _actor.set(_actor.get() if actor is KEEP else actor),
        _request_id.set(request_id),
        _ip.set(ip),
    )
    try:
        yield
    finally:
        _actor.reset(tokens[0])
        _request_id.reset(tokens[1])
        _ip.reset(tokens[2])
