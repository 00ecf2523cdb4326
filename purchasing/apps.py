from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "purchasing"

    def ready(self) -> None:
        from core import audit
        from inventory.supply import register_lead_times, register_open_supply
        from purchasing import supply
        from purchasing.models import (
            ExchangeRate,
            PurchasingSettings,
            Supplier,
            SupplierProduct,
        )

        for model in (Supplier, SupplierProduct, ExchangeRate, PurchasingSettings):
            audit.track(model)
        register_lead_times("purchasing", supply.lead_time_provider)
        register_open_supply("purchasing", supply.open_supply_provider)
