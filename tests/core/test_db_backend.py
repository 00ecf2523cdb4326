"""The database backend's health check is the request's ``SET search_path`` (ADR 49).

Each test opens its own connection to the test database (autocommit, outside the test's
transaction), as a web process does, and plays requests on it: Django marks the health
check due when a request starts (``close_if_unusable_or_obsolete``), and the request's first
cursor runs it."""

from __future__ import annotations

import pytest
from django.db import connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def conn():
    wrapper = connections.create_connection("default")
    wrapper.settings_dict["CONN_HEALTH_CHECKS"] = True
    wrapper.ensure_connection()
    assert wrapper.health_check_enabled
    yield wrapper
    wrapper.close()


def _request_starts(conn) -> None:
    conn.close_if_unusable_or_obsolete()  # what Django's request_started receiver runs
    assert conn.health_check_done is False


def _query(conn, sql: str) -> tuple[object, list[str]]:
    """The first value of ``sql`` and the statements Django's cursor wrapper saw."""
    seen: list[str] = []

    def log(execute, statement, params, many, context):
        seen.append(statement)
        return execute(statement, params, many, context)

    with conn.execute_wrapper(log), conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0], seen


def _path_at_next_request(conn) -> str:
    """The search path a new request's first query runs under."""
    _request_starts(conn)
    path, _ = _query(conn, "SELECT current_setting('search_path')")
    return path


def test_the_check_sets_the_search_path_and_the_first_cursor_sends_no_second_set(conn):
    conn.set_schema("t_alpha")
    _request_starts(conn)
    path, seen = _query(conn, "SELECT current_setting('search_path')")
    assert path == "t_alpha, public"
    assert seen == ["SELECT current_setting('search_path')"]  # the check's SET, not another
    assert conn.health_check_done
    # A second cursor of the same request sends its SET as before.
    path, seen = _query(conn, "SELECT current_setting('search_path')")
    assert path == "t_alpha, public"
    assert seen[0].startswith("SET search_path = ") and len(seen) == 2


def test_each_request_repairs_a_search_path_changed_behind_its_back(conn):
    conn.set_schema("t_alpha")
    _request_starts(conn)
    _query(conn, "SELECT 1")
    with conn.connection.cursor() as raw:  # anything that changes it on the raw connection
        raw.execute("SET search_path = t_beta, public")
    assert _path_at_next_request(conn) == "t_alpha, public"


def test_a_request_for_another_tenant_gets_its_schema(conn):
    conn.set_schema("t_alpha")
    _request_starts(conn)
    _query(conn, "SELECT 1")
    conn.set_schema("t_beta")
    assert _path_at_next_request(conn) == "t_beta, public"
    conn.set_schema_to_public()
    assert _path_at_next_request(conn) == "public"


def test_a_dead_connection_fails_the_check_and_the_new_one_gets_its_own_set(conn):
    conn.set_schema("t_alpha")
    _request_starts(conn)
    _query(conn, "SELECT 1")
    backend = conn.connection.info.backend_pid
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
            assert cursor.fetchone()[0] is True
    finally:
        killer.close()
    _request_starts(conn)
    path, seen = _query(conn, "SELECT current_setting('search_path')")
    assert conn.connection.info.backend_pid != backend  # reconnected, no error
    assert path == "t_alpha, public"
    assert seen[0] == 'SET search_path = "t_alpha","public"'  # the new connection's own SET


def test_without_health_checks_every_cursor_sends_its_set(conn):
    conn.health_check_enabled = False
    conn.set_schema("t_alpha")
    _request_starts(conn)
    path, seen = _query(conn, "SELECT current_setting('search_path')")
    assert path == "t_alpha, public"
    assert seen[0].startswith("SET search_path = ") and len(seen) == 2
