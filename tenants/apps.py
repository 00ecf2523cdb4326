from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        from core import quotas

        @quotas.storage_part("backups")
        def backups_bytes() -> int:
            """The tenant's archives in the backup store (BACKUP_TARGET). A store that does
            not answer counts as empty: an outage of the bucket must not stop uploads."""
            from django.db import connection

            from core.logging import get_logger
            from tenants.backup import backups_bytes as stored

            slug = getattr(getattr(connection, "tenant", None), "slug", None)
            if not slug:
                return 0
            try:
                return stored(slug)
            except Exception as exc:
                get_logger("tenants.backup").warning("backup_store_unavailable", error=str(exc))
                return 0
