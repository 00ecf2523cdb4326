"""django-tenants' backend, with the per-request health check folded into ``SET search_path``.

With ``CONN_HEALTH_CHECKS`` Django checks a persistent connection once per request, before
its first query, with a ``SELECT 1`` of its own; django-tenants then sends
``SET search_path`` for the request's tenant before that query. Two round trips where one
does: here the health check *is* that ``SET`` (a statement that fails on a broken connection
just as ``SELECT 1`` does), and the ``SET`` that django-tenants would send next, for the
same schemas, on the same connection, is not sent again. Every other ``SET`` stays: each
later cursor of the request still sends it, as does every cursor when health checks are
off. A failed check closes the connection (as Django's does) and the new connection gets
its own ``SET``. The issue-17 profile: one round trip fewer per request, on every tenant
request that reads the database.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.base import Database
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_limit_set_calls, quote_schema_name


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The schemas the health check has just set; the next ``_handle_search_path`` for
        # the same schemas is then already done.
        self._search_path_checked: list[str] | None = None
        super().__init__(*args, **kwargs)

    def close(self) -> None:
        self._search_path_checked = None
        super().close()

    def _cursor(self, name: Any = None) -> Any:
        try:
            return super()._cursor(name)
        finally:
            self._search_path_checked = None  # never outlives the cursor it was made for

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
            or self.pool
            or self._setting_search_path
            or not self.schema_name
            or get_limit_set_calls()
        ):
            super().close_if_health_check_failed()
            return
        if not self._set_search_path_as_check():
            self.close()
        self.health_check_done = True

    def _set_search_path_as_check(self) -> bool:
        """``SET search_path`` for the current schemas on the raw connection (as Django's
        ``is_usable`` runs its ``SELECT 1``): True when the connection answered."""
        paths = self._get_cursor_search_paths()
        statement = "SET search_path = " + ",".join(quote_schema_name(path) for path in paths)
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(statement)
        except Database.Error:
            self.search_path_set_schemas = None
            return False
        self._search_path_checked = paths
        return True

    def _handle_search_path(self, cursor: Any = None) -> None:
        checked, self._search_path_checked = self._search_path_checked, None
        if (
            checked is not None
            and not self._setting_search_path
            and checked == self._get_cursor_search_paths()
        ):
            self.search_path_set_schemas = checked
            return
        super()._handle_search_path(cursor)
