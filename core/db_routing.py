"""Read replicas for read-only endpoints and reports (ADR 34).

With ``DATABASE_REPLICA_URL`` set, settings define a ``replica`` database alias. Reads go there
only inside ``replica_reads()`` (or a view using ``ReplicaReadsMixin``): a replica lags its
primary, so a read that must see the caller's own write (most of the API) stays on the
primary, and only the places that opt in — exports, reports, dashboards — move their load.
Writes always go to the primary. The replica connection is put in the same tenant schema as
the primary (django-tenants sets ``search_path`` per connection).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import connection, connections

REPLICA = "replica"
_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Send the ORM's reads in this block to the replica, when one is configured."""
    if not replica_configured():
        yield
        return
    replica = connections[REPLICA]
    tenant = getattr(connection, "tenant", None)
    if tenant is not None:
        replica.set_tenant(tenant)
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaReadRouter:
    """``db_for_read``: the replica inside ``replica_reads()``; otherwise no opinion (the
    primary). Writes and migrations are left to the other routers."""

    def db_for_read(self, model, **hints):
        if _reading_from_replica.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows: objects read from either may be related.
        return True if {obj1._state.db, obj2._state.db} <= {"default", REPLICA} else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None


class ReplicaReadsMixin:
    """For read-only DRF views: the whole request reads from the replica."""

    def dispatch(self, request, *args, **kwargs):
        with replica_reads():
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
