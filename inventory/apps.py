from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from core import audit
        from inventory import tasks  # noqa: F401 (registers the job kinds)
        from inventory.models import Category, Location, Product

        for model in (Category, Location, Product):
            audit.track(model)
