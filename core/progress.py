"""Job progress written on a connection of its own.

Long work runs inside its own transaction (an import is all-or-nothing), so a progress update
on Django's connection would stay invisible to pollers until the end — and during a COPY the
connection is busy and cannot run another statement at all. Progress therefore goes through
a separate autocommit connection per thread, qualified with the tenant's schema.
"""

from __future__ import annotations

import threading

import psycopg
from django.db import connection
from psycopg import sql

_local = threading.local()


def _progress_connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        conn = psycopg.connect(**params, autocommit=True)
        _local.conn = conn
    return conn


def write_progress(*, job_table: str, job_id: str, progress: int, message: str) -> None:
    """Set progress (never backwards) on the job row of the active tenant schema."""
    statement = sql.SQL(
        "UPDATE {schema}.{table} SET progress = %s, message = %s WHERE id = %s AND progress <= %s"
    ).format(schema=sql.Identifier(connection.schema_name), table=sql.Identifier(job_table))
    try:
        _progress_connection().execute(statement, [progress, message, job_id, progress])
    except psycopg.OperationalError:
        _local.conn = None  # reconnect next time; progress is best effort


def close_progress_connection() -> None:
    """Close this thread's progress connection (at the end of each job)."""
    conn = getattr(_local, "conn", None)
    _local.conn = None
    if conn is not None and not conn.closed:
        conn.close()
