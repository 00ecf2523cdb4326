from django.apps import AppConfig


class ManufacturingConfig(AppConfig):
    name = "manufacturing"

    def ready(self) -> None:
        from inventory.supply import register_open_supply
        from manufacturing import tasks  # noqa: F401 (registers the job kind)
        from manufacturing.selectors import open_working_order_supply

        register_open_supply("manufacturing", open_working_order_supply)
