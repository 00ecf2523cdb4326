from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from inventory import receivers, tasks  # noqa: F401 (tasks registers the job kinds)

        receivers.connect()
        from core.quotas import usage_counter
        from inventory.simulation_service import simulations_today

        usage_counter("simulations_per_day")(simulations_today)
        from core.retention import pruner
        from inventory.simulation_service import simulations_prune

        pruner("simulations_days")(simulations_prune)
