from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from inventory.api.serializers import ProductLocationSerializer
from inventory.models import InventoryMetrics, InventorySettings


class InventorySettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = InventorySettings
        fields = (
            "service_level_a",
            "service_level_b",
            "service_level_c",
            "review_period_days",
            "holding_cost_rate",
            "ordering_cost",
            "stockout_cost",
            "abc_share_a",
            "abc_share_b",
            "abc_share_c",
            "abc_measure",
            "lookback_days",
            "max_cover_days",
            "updated_at",
        )
        read_only_fields = ("updated_at",)
        extra_kwargs = {
            "review_period_days": {"min_value": 0, "max_value": 365},
            "lookback_days": {"min_value": 7, "max_value": 730},
            "max_cover_days": {"min_value": 1, "max_value": 365},
            "holding_cost_rate": {"min_value": Decimal("0")},
            "ordering_cost": {"min_value": Decimal("0")},
            "stockout_cost": {"min_value": Decimal("0")},
            "abc_share_a": {"max_value": 100},
            "abc_share_b": {"max_value": 100},
            "abc_share_c": {"max_value": 100},
        }

    def _validate_level(self, value: Decimal) -> Decimal:
        if not Decimal("0.5") < value <= Decimal("0.999"):
            raise serializers.ValidationError("Must be above 0.5 and at most 0.999.")
        return value

    validate_service_level_a = _validate_level
    validate_service_level_b = _validate_level
    validate_service_level_c = _validate_level

    def validate(self, attrs):
        current = self.instance
        shares = [
            attrs.get(name, getattr(current, name, None))
            for name in ("abc_share_a", "abc_share_b", "abc_share_c")
        ]
        if sum(share or 0 for share in shares) != 100:
            raise serializers.ValidationError({"abc_share_a": ["ABC shares must sum to 100."]})
        return attrs


class InventoryMetricsSerializer(ProductLocationSerializer):
    class Meta:
        model = InventoryMetrics
        fields = (
            "id",
            "product",
            "sku",
            "location",
            "location_code",
            "mean_daily_demand",
            "demand_std",
            "lead_time_days",
            "safety_stock",
            "reorder_point",
            "order_up_to",
            "eoq",
            "days_of_cover",
            "inventory_position",
            "stockout_risk",
            "status",
            "recommended_order_qty",
            "latest_order_date",
            "abc_class",
            "xyz_class",
            "computed_at",
        )
