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
