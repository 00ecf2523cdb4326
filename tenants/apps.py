from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tenants.lookup import on_tenant_model_change
        from tenants.models import Domain, Plan, Tenant

        # Any process's cached host → tenant map follows these rows (ADR 37).
        for model in (Tenant, Domain, Plan):
            uid = f"tenant-lookup-{model.__name__}"
            post_save.connect(on_tenant_model_change, sender=model, dispatch_uid=uid + "-save")
            post_delete.connect(on_tenant_model_change, sender=model, dispatch_uid=uid + "-del")

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
