"""psycopg's compiled timestamptz parser under Django's loader (issue 17, ADR 37 addendum).

Django registers its own loader for ``timestamptz`` on every connection
(``django.db.backends.postgresql.psycopg_any.BaseTzLoader``: psycopg's loader, then
``.replace(tzinfo=<Django's time zone>)``). It subclasses psycopg's **Python** loader, so with
psycopg's C implementation installed (``psycopg[binary]``) every timestamp read from the
database is still parsed by a regular expression in Python: about 4–6 µs per value, 150 per
50-row products page (a fifth of the page's database work in this process).

:func:`install` keeps Django's loader and its ``replace(tzinfo=…)`` exactly, and only hands the
parsing to the C loader psycopg registers by default (the same algorithm: the text's offset
applied, the result in the connection's time zone, which Django sets to its own). Without
the C implementation it does nothing. Installed from ``CoreConfig.ready``.

When the session's time zone is UTC and Django's is ``datetime.UTC`` (``USE_TZ``: Django
sets the session to UTC), PostgreSQL writes every value with ``+00`` and the C loader returns it
with ``tzinfo=datetime.UTC`` itself, so the ``replace`` would give back an equal datetime
with the same fields and the same ``tzinfo``: the loader then reads with the C loader's ``load``
directly, with no Python call per value (150 a products page).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

_installed = False
_PROBE = b"2000-01-01 00:00:00+00"


def compiled_timestamptz_loader() -> type | None:
    """psycopg's default text loader for ``timestamptz`` when it is the compiled one."""
    import psycopg
    from psycopg.pq import Format
    from psycopg.types.datetime import TimestamptzLoader

    loader = psycopg.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, Format.TEXT)
    if loader is None or issubclass(loader, TimestamptzLoader):
        return None  # the pure-Python implementation: nothing to gain
    return loader


def install() -> bool:
    """Make Django's timestamptz loader parse with psycopg's C loader. Idempotent."""
    global _installed
    if _installed:
        return True
    try:
        from django.db.backends.postgresql import psycopg_any
    except ImportError:  # pragma: no cover (psycopg 2)
        return False
    base = getattr(psycopg_any, "BaseTzLoader", None)
    compiled = compiled_timestamptz_loader()
    if base is None or compiled is None:
        return False
    python_init = base.__init__

    def __init__(self: Any, oid: int, context: Any = None) -> None:
        python_init(self, oid, context)
        compiled_load = self._compiled_load = compiled(oid, context).load
        if (
            self.timezone is dt.UTC
            and _session_in_utc(self.connection)
            and compiled_load(_PROBE).tzinfo is dt.UTC
        ):
            # ``replace(tzinfo=self.timezone)`` would change nothing. psycopg reads each value
            # with ``loader.load``: the instance attribute takes the class's place.
            self.load = compiled_load

    def load(self: Any, data: Any) -> Any:
        return self._compiled_load(data).replace(tzinfo=self.timezone)

    base.__init__ = __init__
    base.load = load
    _installed = True
    return True


def _session_in_utc(connection: Any) -> bool:
    """Whether the PostgreSQL session's ``TimeZone`` is ``UTC`` (every value written ``+00``)."""
    pgconn = getattr(connection, "pgconn", None)
    return pgconn is not None and pgconn.parameter_status(b"TimeZone") == b"UTC"
