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
    """Set progress (never backwards) and the heartbeat on the job row of the active tenant
    schema."""
    statement = sql.SQL(
        "UPDATE {schema}.{table} SET progress = %s, message = %s, heartbeat_at = now() "
        "WHERE id = %s AND progress <= %s"
    ).format(schema=sql.Identifier(connection.schema_name), table=sql.Identifier(job_table))
    try:
        _progress_connection().execute(statement, [progress, message, job_id, progress])
    except psycopg.OperationalError:
        _local.conn = None  # reconnect next time; progress is best effort


def write_heartbeat(*, schema: str, job_table: str, job_id: str) -> None:
    """Touch a running job's heartbeat (from the job's heartbeat thread: ``schema`` is given,
    that thread has no tenant)."""
    statement = sql.SQL(
        "UPDATE {schema}.{table} SET heartbeat_at = now() WHERE id = %s AND status = 'running'"
    ).format(schema=sql.Identifier(schema), table=sql.Identifier(job_table))
    try:
        _progress_connection().execute(statement, [job_id])
    except psycopg.OperationalError:
        _local.conn = None


class Heartbeat:
    """A daemon thread touching a job's heartbeat every ``interval`` seconds while it runs
    (work that reports no progress for a long step still shows it is alive)."""

    def __init__(self, *, job_table: str, job_id: str, interval: float):
        self.schema = connection.schema_name
        self.job_table, self.job_id, self.interval = job_table, job_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                write_heartbeat(schema=self.schema, job_table=self.job_table, job_id=self.job_id)
        finally:
            close_progress_connection()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def close_progress_connection() -> None:
    """Close this thread's progress connection (at the end of each job)."""
    conn = getattr(_local, "conn", None)
    _local.conn = None
    if conn is not None and not conn.closed:
        conn.close()
