from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from catalog import quota_limits
        from catalog.models import Category, Location, Product
        from core import audit

        for model in (Category, Location, Product):
            audit.track(model)
        quota_limits.connect()
